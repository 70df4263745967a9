/**
 * The live part of every dashboard page (inline, static, under the page's CSP nonce):
 * - relative times (`<time data-ago>`) tick, against the server's clock (body data-now);
 * - on a page with `data-changes` on the body, a `changed` event from GET /api/changes fetches
 *   the page again and swaps in each `[data-live-region]` (matched by id) that the person is
 *   not busy in: a region holding the focus or a form they typed into stays, and its inner
 *   regions are swapped instead. It knows nothing of a page's markup beyond those attributes.
 */
export const LIVE_PAGE_SCRIPT = `
(function () {
  var body = document.body;
  var offset = Date.parse(body.getAttribute('data-now') || '') - Date.now();
  if (isNaN(offset)) offset = 0;
  function ago(iso) {
    var ms = Date.now() + offset - Date.parse(iso);
    if (isNaN(ms)) return '';
    var s = Math.round(Math.abs(ms) / 1000);
    var span = s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min'
      : s < 86400 ? Math.floor(s / 3600) + ' h' : Math.floor(s / 86400) + ' d';
    return ms >= 0 ? span + ' ago' : 'in ' + span;
  }
  function tick() {
    document.querySelectorAll('time[data-ago]').forEach(function (time) {
      var text = ago(time.getAttribute('datetime'));
      if (text && time.textContent !== text) time.textContent = text;
    });
  }
  setInterval(tick, 5000);
  document.addEventListener('input', function (event) {
    var form = event.target && event.target.form;
    if (form) form.setAttribute('data-dirty', 'true');
  });
  var feed = body.getAttribute('data-changes');
  if (!feed || typeof EventSource === 'undefined') return;
  function busy(region) {
    var active = document.activeElement;
    var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName) && region.contains(active);
    return typing || region.querySelector('form[data-dirty]') !== null;
  }
  function swap(current, fresh) {
    if (!busy(current)) {
      current.replaceWith(document.adoptNode(fresh));
      return;
    }
    current.querySelectorAll('[data-live-region][id]').forEach(function (inner) {
      var next = fresh.querySelector('#' + CSS.escape(inner.id));
      if (next && inner.parentNode && !busy(inner)) inner.replaceWith(document.adoptNode(next));
    });
  }
  var loading = false;
  var again = false;
  function refresh() {
    if (loading) return void (again = true);
    loading = true;
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : ''; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, 'text/html');
        var now = doc.body.getAttribute('data-now');
        if (now) offset = Date.parse(now) - Date.now();
        document.querySelectorAll('[data-live-region][id]').forEach(function (current) {
          var fresh = doc.getElementById(current.id);
          if (fresh && current.isConnected) swap(current, fresh);
        });
        body.setAttribute('data-refreshed', String(Number(body.getAttribute('data-refreshed') || '0') + 1));
        tick();
      })
      .catch(function () {})
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(); }
      });
  }
  var source = new EventSource(feed);
  var connected = false;
  source.addEventListener('ready', function () {
    // After a reconnect (the app restarted) something may have changed unseen.
    if (connected) refresh();
    connected = true;
  });
  source.addEventListener('changed', refresh);
})();
`;
