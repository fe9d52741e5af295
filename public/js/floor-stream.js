// Follows a counter's live stream (server-sent events). The browser reconnects by itself after a
// dropped connection, but gives up for good on an answer other than 200 (a process shutting down
// answers 503): then this opens a new stream after a few seconds, through the load balancer.
window.followFloor = function (url, onFloor) {
  let stream;
  const open = () => {
    stream = new EventSource(url);
    stream.onmessage = (event) => onFloor(JSON.parse(event.data));
    stream.onerror = () => {
      if (stream.readyState === EventSource.CLOSED) setTimeout(open, 3000 + Math.random() * 2000);
    };
  };
  open();
};

/** The text template `data-<name>` of `element` (translated by the page) with its {placeholders} filled. */
window.floorText = function (element, name, values) {
  return (element.getAttribute('data-' + name) || '').replace(/\{(\w+)\}/g, (match, key) => (key in values ? String(values[key]) : match));
};
