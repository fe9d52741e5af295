// Keeps a counter's waiting page and a visitor's ticket page current: it follows the counter's
// live stream (server-sent events) and redraws the texts from the templates the page carries.
// Without JavaScript the page offers a reload link.
(function () {
  const root = document.getElementById('follow');
  if (!root || !window.followFloor) return;
  const text = (name, values) => window.floorText(root, name, values);
  const fill = (list, items) => {
    if (!list) return;
    list.replaceChildren(
      ...items.map((value) => {
        const item = document.createElement('li');
        item.textContent = value;
        return item;
      }),
    );
  };
  const number = root.getAttribute('data-number');
  let lastState = '';

  function draw(floor) {
    const waiting = document.getElementById('follow-waiting');
    if (waiting) waiting.textContent = text('waiting', { count: floor.waiting.length, minutes: floor.waitMinutes });
    fill(
      document.getElementById('follow-procedures'),
      floor.byProcedure.map((p) => text('procedure-waiting', { procedure: p.name, count: p.waiting })),
    );
    const calls = document.getElementById('follow-calls');
    const called = floor.called.map((c) => text('now-calling', { number: c.number, window: c.window }));
    fill(calls, called.length ? called : [calls ? calls.getAttribute('data-none') : '']);
    if (number) drawTicket(floor);
  }

  function drawTicket(floor) {
    const state = document.getElementById('follow-state');
    if (!state || state.hasAttribute('data-other-day')) return;
    const mine = floor.called.find((c) => c.number === number);
    const place = floor.waiting.findIndex((w) => w.number === number);
    let message;
    if (mine) message = text('called', { window: mine.window });
    else if (place === 0) message = text('next', {});
    else if (place > 0) message = text('ahead', { ahead: place, minutes: floor.waiting[place].waitMinutes });
    else message = text('finished', {});
    if (message === lastState) return;
    lastState = message;
    state.textContent = message;
    state.classList.toggle('follow-called', Boolean(mine));
    // A call is announced at once (and felt, where the phone can vibrate).
    if (mine) {
      state.setAttribute('role', 'alert');
      if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    } else state.removeAttribute('role');
  }

  window.followFloor(root.getAttribute('data-events'), draw);
})();
