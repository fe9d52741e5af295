// Polls an import batch's progress and updates the bar; reloads the page when the work ends.
// Without JavaScript the page offers a reload link instead.
(function () {
  const box = document.getElementById('import-progress');
  if (!box) return;
  const text = document.getElementById('import-progress-text');
  const bar = document.getElementById('import-progress-bar');
  const template = box.getAttribute('data-working-text') || '';
  const url = box.getAttribute('data-progress-url');
  async function poll() {
    try {
      const response = await fetch(url, { headers: { Accept: 'application/json' }, credentials: 'same-origin' });
      if (response.ok) {
        const progress = await response.json();
        if (!['uploaded', 'previewing', 'committing'].includes(progress.status)) {
          window.location.reload();
          return;
        }
        bar.value = progress.percent;
        bar.textContent = progress.percent + '%';
        text.textContent = template.replace('{rows}', String(progress.rowsRead)).replace('{percent}', String(progress.percent));
      }
    } catch (error) {
      // a dropped poll is retried on the next tick
    }
    window.setTimeout(poll, 1000);
  }
  window.setTimeout(poll, 500);
})();
