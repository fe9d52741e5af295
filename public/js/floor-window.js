// Keeps a window's page current: when the counter's floor changes (its live stream), the page is
// fetched again and its queue section replaced, so a clerk sees tickets issued and called at
// other windows without reloading. Forms outside the queue keep what the clerk typed.
(function () {
  const queue = document.getElementById('floor-queue');
  if (!queue || !window.followFloor || !window.DOMParser) return;
  let busy = false;
  async function reload() {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(location.pathname + location.search.replace(/([?&])done=[^&]*/, '$1'), { credentials: 'same-origin' });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('floor-queue');
      if (fresh) queue.replaceChildren(...fresh.childNodes);
    } finally {
      busy = false;
    }
  }
  let first = true;
  window.followFloor(queue.getAttribute('data-events'), () => {
    if (first) first = false;
    else void reload();
  });
})();
