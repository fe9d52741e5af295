// Citizen sessions kept in the browser: the session data travels in one cookie, encrypted and
// authenticated with AES-256-GCM (node:crypto), so no session row is read or written per
// request. See docs/decisions/0015-citizen-sessions-in-a-cookie.md.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares the request in its global namespace
  namespace Express {
    interface Request {
      /** The data of a session that opened but ran past its absolute lifetime (it is not the session any more). */
      expiredSession?: Record<string, unknown>;
    }
  }
}

export interface CookieSessionOptions {
  secret: string;
  secure: boolean;
  /** The cookie's lifetime in the browser, renewed with every write. */
  maxAgeMs: number;
  /** The payload is refused after this long, however often it was rewritten. */
  absoluteMs: number;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export const citizenCookieName = (secure: boolean) => (secure ? '__Host-citizen' : 'citizen');

/** A 256-bit key for this cookie alone, derived from SESSION_SECRET (which also signs staff cookies). */
function cookieKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'mynumber-booking', 'citizen-session-cookie/v1', 32));
}

interface Sealed {
  /** When the session began (ms); the absolute lifetime counts from here. */
  born: number;
  data: Record<string, unknown>;
}

export function sealer(secret: string, name: string) {
  const key = cookieKey(secret);
  const aad = Buffer.from(name);
  return {
    seal(born: number, dataJson: string): string {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad);
      const body = Buffer.concat([cipher.update(`{"born":${born},"data":${dataJson}}`, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    /** The payload, or null when the cookie was not sealed with this key (tampered, foreign, cut). */
    open(cookie: string): Sealed | null {
      const bytes = Buffer.from(cookie, 'base64url');
      if (bytes.length <= IV_BYTES + TAG_BYTES) return null;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES)).setAAD(aad);
        decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
        const text = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
        const value = JSON.parse(text) as Sealed;
        return typeof value?.born === 'number' && value.data && typeof value.data === 'object' ? value : null;
      } catch {
        return null;
      }
    },
  };
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Runs `write` just before the response's headers go out (as express-session does). */
function beforeHeaders(res: ServerResponse, write: () => void): void {
  const writeHead = res.writeHead;
  let done = false;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!done) {
      done = true;
      write();
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}

/**
 * The session the pages see: its own enumerable properties are the data (set and deleted as
 * with express-session); the methods they call live on the prototype, so they are never stored.
 */
class CookieSession {
  declare cookie: { maxAge?: number };

  constructor(
    data: Record<string, unknown>,
    private readonly renewed: () => void,
  ) {
    Object.defineProperty(this, 'cookie', { value: {}, enumerable: false });
    Object.defineProperty(this, 'renewed', { enumerable: false });
    Object.assign(this, data);
  }

  /** Log-in: nothing from before is kept, and a fresh cookie goes out even if nothing is added. */
  regenerate(callback: (error?: unknown) => void): this {
    this.clear();
    this.renewed();
    callback();
    return this;
  }

  destroy(callback: (error?: unknown) => void): this {
    this.clear();
    callback();
    return this;
  }

  /** Stored as the headers go out; nothing to wait for. */
  save(callback?: (error?: unknown) => void): this {
    callback?.();
    return this;
  }

  private clear(): void {
    for (const key of Object.keys(this)) delete (this as Record<string, unknown>)[key];
  }
}

/**
 * Sessions in a cookie, with the express-session calls the pages use. A request that has no
 * session and makes none sets no cookie; an emptied session clears its cookie.
 */
export function cookieSessions(options: CookieSessionOptions): RequestHandler {
  const name = citizenCookieName(options.secure);
  const { seal, open } = sealer(options.secret, name);
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;

  return (req, res, next) => {
    const cookie = readCookie(req.headers.cookie, name);
    const sealed = cookie === undefined ? null : open(cookie);
    const live = sealed && Date.now() - sealed.born < options.absoluteMs ? sealed : null;
    let born = live?.born ?? Date.now();
    // What the cookie holds now; a cookie that did not open (or ran out) is cleared.
    let stored = live ? JSON.stringify(live.data) : cookie === undefined ? '{}' : '';
    const session = new CookieSession(live?.data ?? {}, () => {
      born = Date.now();
      stored = '';
    });
    (req as { session?: unknown }).session = session;
    // An authentic session past its lifetime: the pages may still want to know who left (to give back what they held).
    if (sealed && !live) req.expiredSession = sealed.data;
    beforeHeaders(res, () => {
      const text = JSON.stringify(session);
      if (text === stored) return;
      if (text === '{}') return void res.appendHeader('Set-Cookie', `${name}=; ${attributes}; Max-Age=0`);
      res.appendHeader('Set-Cookie', `${name}=${seal(born, text)}; ${attributes}; Max-Age=${Math.floor(options.maxAgeMs / 1000)}`);
    });
    next();
  };
}
