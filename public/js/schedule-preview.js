// Live month preview on the opening-rule editor: as the form changes, the server renders the
// month for the values typed (nothing is saved). Without this script the "プレビューを更新"
// button does the same with a normal form post.
(function () {
  'use strict';
  var form = document.getElementById('rule-form');
  var panel = document.querySelector('.rule-preview-panel');
  if (!form || !panel || !window.fetch || !window.URLSearchParams) return;
  var timer = null;
  var latest = 0;

  function query() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key !== '_csrf' && key !== 'action') params.append(key, String(value));
    });
    if (form.dataset.ruleId) params.set('ruleId', form.dataset.ruleId);
    return params.toString();
  }

  function refresh() {
    var request = ++latest;
    fetch(form.dataset.previewUrl + '?' + query(), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html === null || request !== latest) return;
        var current = document.getElementById('rule-preview');
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var next = holder.querySelector('#rule-preview');
        if (current && next) current.innerHTML = next.innerHTML;
      })
      .catch(function () {
        /* keep the last preview; the button still works */
      });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }

  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
})();
