// Warns the citizen before the idle log-out and lets them extend the session (WCAG 2.2.1).
(function () {
  'use strict';
  var box = document.getElementById('session-warning');
  if (!box || !window.fetch) return;
  var idle = Number(box.getAttribute('data-idle-seconds')) || 900;
  var warnBefore = Number(box.getAttribute('data-warn-seconds')) || 120;
  var remainingText = box.querySelector('.session-remaining');
  // The page's own words for the time left (locales: citizen.session.remaining), e.g. 残り{seconds}秒.
  var remainingWords = box.getAttribute('data-remaining') || '{seconds}';
  var button = document.getElementById('session-extend');
  var deadline;
  var timer;

  function restart(seconds) {
    deadline = Date.now() + seconds * 1000;
    box.hidden = true;
  }

  function tick() {
    var left = Math.round((deadline - Date.now()) / 1000);
    if (left <= 0) {
      window.location.href = '/login?expired=1';
      return;
    }
    if (left <= warnBefore) {
      var wasHidden = box.hidden;
      box.hidden = false;
      remainingText.textContent = '(' + remainingWords.replace('{seconds}', String(left)) + ')';
      if (wasHidden) button.focus();
    }
  }

  button.addEventListener('click', function () {
    fetch('/session/extend', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': box.getAttribute('data-csrf'), Accept: 'application/json' } })
      .then(function (response) {
        return response.ok ? response.json() : Promise.reject(response.status);
      })
      .then(function (body) {
        restart(body.idleSeconds);
      })
      .catch(function () {
        window.location.href = '/login?expired=1';
      });
  });

  restart(idle);
  timer = window.setInterval(tick, 1000);
  window.addEventListener('pagehide', function () {
    window.clearInterval(timer);
  });
})();
