/**
 * The stage page's script (inline, static, under the page's CSP nonce): "Follow" opens the
 * stage's log as Server-Sent Events. The stream replays the last lines and then goes on live, so
 * the list is replaced on each (re)connect instead of guessing where the shown lines ended.
 */
export const STAGE_LOG_SCRIPT = `
(function () {
  var log = document.getElementById('stage-log');
  var button = document.getElementById('follow-log');
  var state = document.getElementById('follow-state');
  if (!log || !button || !state) return;
  var MAX_LINES = 2000;
  var source = null;
  function cell(cls, text) {
    var span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    return span;
  }
  function item(line) {
    var li = document.createElement('li');
    li.className = 'std-' + line.stream;
    var time = cell('t', line.time.slice(11, 19));
    time.title = line.time;
    li.append(time, cell('s', line.stream === 'stderr' ? 'err' : 'out'), cell('m', line.text));
    return li;
  }
  function stop(message) {
    if (source) source.close();
    source = null;
    button.textContent = 'Follow';
    button.setAttribute('aria-pressed', 'false');
    state.textContent = message;
  }
  button.addEventListener('click', function () {
    if (source) return stop('stopped following');
    var replaced = false;
    source = new EventSource(log.getAttribute('data-follow'));
    button.textContent = 'Stop';
    button.setAttribute('aria-pressed', 'true');
    state.textContent = 'connecting…';
    source.addEventListener('open', function () {
      replaced = false;
      state.textContent = 'following live';
    });
    source.addEventListener('line', function (message) {
      var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
      if (!replaced) {
        log.textContent = '';
        replaced = true;
      }
      log.appendChild(item(JSON.parse(message.data)));
      while (log.childElementCount > MAX_LINES) log.firstElementChild.remove();
      if (atBottom) log.scrollTop = log.scrollHeight;
    });
    source.addEventListener('end', function (message) {
      stop(JSON.parse(message.data).reason);
    });
    source.addEventListener('error', function (message) {
      if (message.data) return stop(JSON.parse(message.data).message);
      if (source && source.readyState === EventSource.CLOSED) return stop('the log stream closed');
      state.textContent = 'reconnecting…';
    });
  });
})();
`;

/** Styles of the stage page only, added under the page's nonce next to the shared sheet. */
export const STAGE_STYLES = `
.summary>.stage{background:var(--card);border-radius:10px;padding:1rem;margin-bottom:1rem}
.usage{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.8rem}
.gauge{display:flex;flex-direction:column;gap:.2rem;border:1px solid var(--line);border-radius:8px;padding:.6rem .7rem}
.gauge .k{font-size:.8rem;color:var(--muted);font-weight:600}
.gauge .v{font-size:1.05rem;font-variant-numeric:tabular-nums}
.gauge .v.warn{color:var(--warn)}
.gauge .v span{white-space:nowrap}
.gauge meter{width:100%;height:.6rem}
.gone{padding:.6rem .8rem;border-radius:8px;background:var(--bad-bg);color:var(--bad);margin:0}
.log-head{display:flex;align-items:center;gap:.6rem;flex-wrap:wrap;justify-content:space-between}
.log-head h2{margin:0}
.log-head .follow{display:flex;align-items:center;gap:.6rem}
ol.log.stage-log li{grid-template-columns:max-content 2.2rem 1fr}
.err-key{color:var(--bad);font-weight:700;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85em}
ol.log .s{color:var(--muted);font-size:.75rem;align-self:center}
ol.log .std-stderr .s{color:var(--bad);font-weight:700}
ol.log .std-stderr .m{color:var(--bad)}
.danger-zone{border-color:var(--bad)}
.danger-zone h2{color:var(--bad)}
@media (max-width:40rem){ol.log.stage-log li{grid-template-columns:max-content 1fr;border-left:3px solid transparent;padding-left:.3rem}
ol.log.stage-log .s{display:none}ol.log.stage-log li.std-stderr{border-left-color:var(--bad)}}
`;
