// The call display on a monitor in the waiting room: it follows the counter's live stream, shows
// the latest calls in large type, and for each new call plays a chime and reads it aloud in
// Japanese and English with the browser's own speech (nothing to install). Browsers allow sound
// only after someone clicks the page once: the button does that.
(function () {
  const root = document.getElementById('display');
  if (!root || !window.followFloor) return;
  const fill = (name, values) => window.floorText(root, name, values);
  const body = document.getElementById('display-calls');
  const waiting = document.getElementById('display-waiting');
  const button = document.getElementById('display-sound');
  let audio = null;
  let seen = null;

  button.addEventListener('click', () => {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    void audio.resume();
    button.textContent = button.getAttribute('data-on');
  });

  /** ピンポーン: two soft tones. */
  function chime() {
    if (!audio) return;
    [
      [880, 0],
      [659, 0.45],
    ].forEach(([frequency, start]) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.25, audio.currentTime + start);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + start + 0.9);
      tone.connect(gain).connect(audio.destination);
      tone.start(audio.currentTime + start);
      tone.stop(audio.currentTime + start + 1);
    });
  }

  /** The number as read aloud: its letters apart and the digits without leading zeros (A-007 → A 7). */
  const spoken = (number) => number.replace(/-0*(\d)/, ' $1');

  function announce(call) {
    chime();
    if (!audio || !window.speechSynthesis) return;
    for (const [lang, name] of [
      ['ja-JP', 'say-ja'],
      ['en-US', 'say-en'],
    ]) {
      const utterance = new SpeechSynthesisUtterance(fill(name, { number: spoken(call.number), window: call.window }));
      utterance.lang = lang;
      window.speechSynthesis.speak(utterance);
    }
  }

  function draw(floor) {
    body.replaceChildren(
      ...floor.called.map((call) => {
        const row = document.createElement('tr');
        const number = document.createElement('td');
        number.className = 'number';
        number.textContent = call.number;
        const window = document.createElement('td');
        window.textContent = fill('window-ja', { window: call.window });
        row.append(number, window);
        return row;
      }),
    );
    waiting.textContent = fill('waiting', { count: floor.waiting.length, minutes: floor.waitMinutes });
    // A call (or a call again) not seen before is announced; the first picture after loading is not.
    const keys = floor.called.map((call) => call.number + '@' + call.at + '#' + call.calls);
    if (seen)
      floor.called
        .filter((call, index) => !seen.has(keys[index]))
        .reverse()
        .forEach(announce);
    seen = new Set(keys);
  }

  window.followFloor(root.getAttribute('data-events'), draw);
})();
