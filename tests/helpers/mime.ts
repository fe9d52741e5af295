// Just enough of a MIME parser to read what nodemailer sends: folded headers, RFC 2047 encoded
// words, nested multiparts, base64 and quoted-printable bodies. (mailparser could not be
// installed: its dependency @zone-eu/mailsplit is missing from the registry mirror.)

export interface MimeAttachment {
  filename: string;
  contentType: string;
  content: string;
}

export interface ParsedMail {
  headers: Map<string, string>;
  /** Header lines exactly as received (unfolded, not decoded), to check for injection. */
  headerLines: string[];
  subject: string;
  to: string;
  text: string;
  html: string;
  attachments: MimeAttachment[];
}

interface Part {
  headers: Map<string, string>;
  headerLines: string[];
  body: string;
}

function decodeWords(value: string): string {
  return value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_match, _charset, encoding: string, text: string) =>
    encoding.toUpperCase() === 'B'
      ? Buffer.from(text, 'base64').toString('utf8')
      : Buffer.from(
          text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
          'latin1',
        ).toString('utf8'),
  );
}

function splitPart(raw: string): Part {
  const boundary = raw.search(/\r?\n\r?\n/);
  const head = boundary === -1 ? raw : raw.slice(0, boundary);
  const body = boundary === -1 ? '' : raw.slice(boundary).replace(/^\r?\n\r?\n/, '');
  const headerLines = head
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .filter(Boolean);
  const headers = new Map<string, string>();
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, headerLines, body };
}

function param(header: string, name: string): string | undefined {
  const extended = header.match(new RegExp(`${name}\\*=(?:utf-8|UTF-8)''([^;\\s]+)`));
  if (extended) return decodeURIComponent(extended[1]);
  const plain = header.match(new RegExp(`${name}="?([^";]+)"?`, 'i'));
  return plain ? decodeWords(plain[1]) : undefined;
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = part.body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return part.body;
}

function leaves(part: Part): Part[] {
  const type = part.headers.get('content-type') ?? 'text/plain';
  const boundary = /^multipart\//i.test(type) ? param(type, 'boundary') : undefined;
  if (!boundary) return [part];
  const sections = part.body.split(`--${boundary}`).slice(1);
  return sections.filter((section) => !section.startsWith('--')).flatMap((section) => leaves(splitPart(section.replace(/^\r?\n/, ''))));
}

export function parseMime(raw: string): ParsedMail {
  const root = splitPart(raw);
  const mail: ParsedMail = {
    headers: new Map([...root.headers].map(([name, value]) => [name, decodeWords(value)])),
    headerLines: root.headerLines,
    subject: decodeWords(root.headers.get('subject') ?? ''),
    to: decodeWords(root.headers.get('to') ?? ''),
    text: '',
    html: '',
    attachments: [],
  };
  for (const leaf of leaves(root)) {
    const type = leaf.headers.get('content-type') ?? 'text/plain';
    const disposition = leaf.headers.get('content-disposition') ?? '';
    const filename = param(disposition, 'filename') ?? param(type, 'name');
    if (/^attachment/i.test(disposition) || filename) {
      mail.attachments.push({ filename: filename ?? '', contentType: type.split(';')[0].trim(), content: decodeBody(leaf) });
    } else if (/^text\/html/i.test(type)) {
      mail.html = decodeBody(leaf);
    } else {
      mail.text = decodeBody(leaf);
    }
  }
  return mail;
}
