/**
 * The deploy form's tag picker (inline, static, under the page's CSP nonce): lists the image's
 * tags from GET /api/projects/:project/tags, newest first with short digest and age, only those
 * the chosen stage's tag_pattern matches (all, with their stages, while none is chosen). A click
 * fills in the tag and the digest, so the deploy runs exactly the image that was picked.
 */
export const TAG_PICKER_SCRIPT = `
(function () {
  function ago(iso) {
    var s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (isNaN(s)) return '';
    s = Math.max(0, s);
    return (s < 60 ? s + ' s' : s < 3600 ? Math.floor(s / 60) + ' min'
      : s < 86400 ? Math.floor(s / 3600) + ' h' : Math.floor(s / 86400) + ' d') + ' ago';
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function render(picker, list) {
    var form = picker.closest('form');
    var select = form.querySelector('select[name=stage]');
    var stage = picker.getAttribute('data-stage') || (select ? select.value : '');
    var shown = list.tags.filter(function (t) { return !stage || t.stages.indexOf(stage) !== -1; });
    picker.textContent = '';
    var head = el('p', 'muted');
    head.textContent = shown.length === 0
      ? (stage ? 'No tag in the registry matches ' + stage + '\\'s pattern.' : 'The registry has no tags of this image yet.')
      : shown.length + (shown.length === 1 ? ' tag' : ' tags') + (stage ? ' matching ' + stage : '') +
        ', newest first: pick one to fill in its tag and digest' + (list.more ? ' (' + list.more + ' older not listed)' : '');
    picker.appendChild(head);
    var ul = el('ul', 'tag-list');
    shown.forEach(function (t) {
      var button = el('button', 'tag-choice secondary');
      button.type = 'button';
      button.setAttribute('data-tag', t.tag);
      button.setAttribute('data-digest', t.digest);
      button.append(el('span', 'mono', t.tag), el('span', 'mono muted', t.digest.replace('sha256:', '').slice(0, 12)),
        el('span', 'muted', t.created ? ago(t.created) : 'age unknown'));
      if (!stage) t.stages.forEach(function (s) { button.append(el('span', 'badge', s)); });
      var li = el('li');
      li.appendChild(button);
      ul.appendChild(li);
    });
    picker.appendChild(ul);
  }
  document.querySelectorAll('.tag-picker[data-tags]').forEach(function (picker) {
    var list = null;
    fetch(picker.getAttribute('data-tags'), { credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body && body.error ? body.error.message : 'HTTP ' + response.status);
          return body;
        });
      })
      .then(function (body) { list = body; render(picker, list); })
      .catch(function (error) {
        picker.textContent = '';
        picker.appendChild(el('p', 'muted', 'Could not list the tags: ' + error.message + '. Type a tag instead.'));
      });
    var form = picker.closest('form');
    var select = form.querySelector('select[name=stage]');
    if (select) select.addEventListener('change', function () { if (list) render(picker, list); });
    picker.addEventListener('click', function (event) {
      var button = event.target.closest('button[data-tag]');
      if (!button) return;
      form.querySelector('[name=tag]').value = button.getAttribute('data-tag');
      form.querySelector('[name=digest]').value = button.getAttribute('data-digest');
      form.setAttribute('data-dirty', 'true');
      picker.querySelectorAll('button[aria-pressed]').forEach(function (b) { b.removeAttribute('aria-pressed'); });
      button.setAttribute('aria-pressed', 'true');
    });
  });
})();
`;
