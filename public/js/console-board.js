// Keeps the day board current: every 15 seconds it fetches the board as JSON and redraws the
// rows (text only, built with DOM methods), and today's board at once when the counter's floor
// changes (public/js/floor-stream.js). Without JavaScript the page offers a refresh link.
(function () {
  const body = document.getElementById('board-body');
  if (!body) return;
  const url = body.getAttribute('data-url');
  const none = body.getAttribute('data-none') || '';
  const totals = document.getElementById('board-totals');
  const updated = document.getElementById('board-updated');
  const INTERVAL = (Number(body.getAttribute('data-refresh-seconds')) || 15) * 1000;

  function cell(tag, text) {
    const element = document.createElement(tag);
    element.textContent = String(text);
    if (tag === 'th') element.setAttribute('scope', 'row');
    return element;
  }

  function bookingItem(booking) {
    const item = document.createElement('li');
    // A card holder's page, or an applicant's (booked without a notice ID).
    const link = document.createElement('a');
    link.href = booking.holderId === null ? '/staff/console/applicants/' + booking.applicantId : '/staff/console/holders/' + booking.holderId;
    link.textContent = booking.code;
    item.appendChild(link);
    const person = (booking.personLabel ? booking.name + ' [' + booking.personLabel + ']' : booking.name) + (booking.runLabel ? ' (' + booking.runLabel + ')' : '');
    item.appendChild(document.createTextNode(' ' + person + ' [' + booking.procedure + '] [' + booking.channelLabel + '] [' + booking.statusLabel + '] ' + booking.storagePlace));
    if (booking.transferLabel) {
      const flag = document.createElement('strong');
      flag.className = 'flag';
      flag.textContent = '⚠ ' + booking.transferLabel;
      item.appendChild(document.createTextNode(' '));
      item.appendChild(flag);
    }
    return item;
  }

  function slotRow(slot) {
    const row = document.createElement('tr');
    row.setAttribute('data-slot-id', String(slot.id));
    row.appendChild(cell('th', slot.time + '–' + slot.endTime));
    [slot.capacity, slot.booked, slot.webFree, slot.heldBackFree].forEach(function (value) {
      row.appendChild(cell('td', value));
    });
    const people = document.createElement('td');
    if (slot.bookings.length === 0) people.textContent = none;
    else {
      const list = document.createElement('ul');
      list.className = 'board-bookings';
      slot.bookings.forEach(function (booking) {
        list.appendChild(bookingItem(booking));
      });
      people.appendChild(list);
    }
    row.appendChild(people);
    return row;
  }

  function draw(board) {
    if (board.slots.length === 0) return;
    const rows = board.slots.map(slotRow);
    body.replaceChildren.apply(body, rows);
    if (totals) {
      totals.textContent = (totals.getAttribute('data-template') || '').replace(/\{(\w+)\}/g, function (match, name) {
        return name in board.totals ? String(board.totals[name]) : match;
      });
    }
    if (updated) {
      const now = new Date();
      const time = String(now.getHours()).padStart(2, '0') + ':' + String(now.getMinutes()).padStart(2, '0') + ':' + String(now.getSeconds()).padStart(2, '0');
      updated.textContent = (updated.getAttribute('data-template') || '').replace('{time}', time);
    }
  }

  async function refresh() {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.ok) draw(await response.json());
    } catch (error) {
      // a dropped refresh is retried on the next tick
    }
  }

  async function poll() {
    await refresh();
    window.setTimeout(poll, INTERVAL);
  }
  window.setTimeout(poll, INTERVAL);

  // Today's board also redraws at once when the counter's floor changes (a check-in, a call).
  const events = body.getAttribute('data-events');
  let first = true;
  if (events && window.followFloor)
    window.followFloor(events, function () {
      if (first) first = false;
      else void refresh();
    });
})();
