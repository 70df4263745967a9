/**
 * The dashboard's only JavaScript, inline and static (data comes from escaped attributes):
 * confirm() before an action form is sent, and the live log of a running deploy over SSE; each
 * phase or status change swaps in the page's details again (phases, timings, status, error)
 * without reloading the page.
 */
export const CLIENT_SCRIPT = `
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form.getAttribute('data-confirm');
  if (!question) return;
  var tag = form.querySelector('[name=tag]');
  var stage = form.querySelector('[name=stage]');
  question = question.replace('{tag}', tag ? tag.value : '')
    .replace('{stage}', stage && stage.value ? stage.value : 'the stage its tag pattern picks');
  if (!window.confirm(question)) event.preventDefault();
});
(function () {
  var log = document.getElementById('live-log');
  if (!log || log.getAttribute('data-final') === 'true') return;
  var last = Number(log.getAttribute('data-last-seq') || '0');
  var badge = document.getElementById('deploy-status');
  var phase = document.getElementById('current-phase');
  var source = new EventSource(log.getAttribute('data-events'));
  function setStatus(status) {
    badge.textContent = status.replace(/_/g, ' ');
    badge.className = 'badge st-' + status;
  }
  function cell(cls, text) {
    var span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    return span;
  }
  // Phases, timings and status come from the page itself, fetched again as they change.
  var refreshing = false;
  var pending = false;
  function refreshDetails() {
    if (refreshing) return void (pending = true);
    refreshing = true;
    fetch(location.href, { credentials: 'same-origin' })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('deploy-details');
        var current = document.getElementById('deploy-details');
        if (fresh && current) current.replaceWith(document.adoptNode(fresh));
      })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (pending) { pending = false; refreshDetails(); }
      });
  }
  function label(phase) { return phase === 'rollback' ? 'undo' : phase; }
  source.onmessage = function (message) {
    var event = JSON.parse(message.data);
    if (event.seq <= last) return;
    last = event.seq;
    var empty = document.getElementById('log-empty');
    if (empty) empty.remove();
    var item = document.createElement('li');
    item.className = 'lvl-' + event.level;
    item.appendChild(cell('t', event.at.slice(11, 19)));
    var text = cell('m', '');
    if (event.phase) text.append(cell('p', '[' + label(event.phase) + ']'), ' ');
    text.append(event.message);
    item.appendChild(text);
    var atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.appendChild(item);
    if (atBottom) log.scrollTop = log.scrollHeight;
    if (event.status) setStatus(event.status);
    if (event.phase && phase) phase.textContent = label(event.phase);
    if (event.type !== 'log') refreshDetails();
  };
  source.addEventListener('end', function (message) {
    source.close();
    log.setAttribute('data-final', 'true');
    setStatus(JSON.parse(message.data).status);
    if (phase) phase.textContent = '';
    refreshDetails();
  });
})();
`;
