import request from 'supertest';
import type { Express } from 'express';

/** A browser-like agent: keeps cookies and reads the CSRF token from the page's form. */
export function browserAgent(app: Express) {
  return request.agent(app);
}

export function csrfTokenFrom(html: string): string {
  const match = html.match(/name="_csrf" value="([^"]+)"/);
  if (!match) throw new Error('no CSRF token in page');
  return match[1];
}

/** Every absolute URL in a page that points somewhere other than the app itself. */
export function externalReferences(html: string): string[] {
  const urls = html.match(/(?:src|href|action|content|url\()\s*=?\s*["']?(?:https?:)?\/\/[^"'\s)>]+/gi) ?? [];
  return urls;
}

/** supertest parser that keeps the raw bytes: `.buffer(true).parse(binaryBody)`, body is a Buffer. */
export function binaryBody(res: import('superagent').Response, callback: (error: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => callback(null, Buffer.concat(chunks)));
}
