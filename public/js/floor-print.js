// The ticket print page's button: the browser's own print dialog (80 mm receipt or A4).
(function () {
  const button = document.getElementById('print-now');
  if (button) button.addEventListener('click', () => window.print());
})();
