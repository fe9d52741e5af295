// The manuals as help pages of the console (issue 16.3): every staff role reads them, each is
// one page with its chapters, a picture the browser tests have not made yet is a note (never a
// broken image), and nothing outside docs/manuals can be reached through them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MANUALS, MANUALS_DIR, renderManual, renderMarkdown } from '../../src/features/help/manuals.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { browserAgent } from '../helpers/http.js';
import { signedInStaff } from '../helpers/staff.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});

const picturesOf = (markdown: string) => [...markdown.matchAll(/!\[[^\]]*\]\(images\/([^)]+)\)/g)].map((match) => match[1]);

describe('the manuals in the console', () => {
  it('When an operator opens the help pages, then every manual is listed and shows its title and chapters', async () => {
    const { agent } = await signedInStaff(t, 'operator');
    const list = await agent.get('/staff/help');
    expect(list.status).toBe(200);
    for (const name of MANUALS) {
      expect(list.text).toContain(`href="/staff/help/${name}"`);
      const page = await agent.get(`/staff/help/${name}`);
      expect(page.status, name).toBe(200);
      const markdown = await readFile(path.join(MANUALS_DIR, `${name}.md`), 'utf8');
      expect(page.text).toContain(`<h1>${/^# (.+)$/m.exec(markdown)![1]}</h1>`);
      expect((page.text.match(/<h2>/g) ?? []).length, name).toBeGreaterThanOrEqual(3);
    }
  });

  it('When a manual shows a picture, then the picture is in its list of screens, and one not made yet is a note, not a broken image', async () => {
    const { agent } = await signedInStaff(t, 'staff');
    for (const name of MANUALS) {
      const markdown = await readFile(path.join(MANUALS_DIR, `${name}.md`), 'utf8');
      const listed = markdown.split('## 画面の一覧')[1] ?? '';
      for (const picture of picturesOf(markdown)) expect(listed, `${name}: ${picture}`).toContain(picture.replace(/\.png$/, ''));
    }
    // Looked for in a folder of the test's own: the real pictures (made by manual-screens.test.ts) stay untouched.
    const [first] = picturesOf(await readFile(path.join(MANUALS_DIR, 'staff-manual.md'), 'utf8'));
    const pictures = await mkdtemp(path.join(os.tmpdir(), 'manual-pictures-'));
    const without = await renderManual('staff-manual', '画面の図はまだ作られていません', pictures);
    expect(without.html).not.toContain(`src="/staff/help/images/${first}"`);
    expect(without.html).toContain('画面の図はまだ作られていません');
    expect(without.missingImages).toContain(first);
    await writeFile(path.join(pictures, first), Buffer.from('89504e470d0a1a0a', 'hex'));
    const withPicture = await renderManual('staff-manual', '画面の図はまだ作られていません', pictures);
    expect(withPicture.html).toContain(`<img src="/staff/help/images/${first}"`);
    expect(withPicture.missingImages).not.toContain(first);
    await rm(pictures, { recursive: true, force: true });
    expect((await agent.get('/staff/help/staff-manual')).status).toBe(200);
  });

  it('When odd or hostile addresses are asked for, then the answer is 404, never a file from elsewhere or a 500', async () => {
    const { agent } = await signedInStaff(t, 'admin');
    for (const target of [
      '/staff/help/nope',
      '/staff/help/..%2f..%2fpackage.json',
      '/staff/help/%00',
      '/staff/help/images/..%2f..%2f..%2fpackage.json',
      '/staff/help/images/x.PNG',
      '/staff/help/images/missing-picture.png',
      '/staff/help/images/%2e%2e',
    ]) {
      const response = await agent.get(target);
      expect(response.status, target).toBe(404);
      expect(response.text, target).not.toContain('"name": "mynumber-card-booking"');
    }
  });

  it('When a manual held markup, a script link or a picture from elsewhere, then the page shows them as text and links nowhere unsafe', async () => {
    const hostile = [
      '# 題',
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '[押す](javascript:alert(1)) [外](//evil.example/x) [戻る](/staff/help)',
      '![図](https://evil.example/x.png) ![図2](images/../../package.json)',
    ].join('\n\n');
    const { html } = await renderMarkdown(hostile, 'x', '見本なし', os.tmpdir());
    expect(html).not.toMatch(/<script|<img|href="javascript:|href="\/\/evil/i); // onerror= is left only as text
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('<a href="/staff/help">戻る</a>');
    expect(html).toContain('押す');
  });

  it('When someone who is not signed in asks for a manual, then they are sent to the staff log-in', async () => {
    const response = await browserAgent(t.app).get('/staff/help/staff-manual');
    expect(response.status).toBe(303);
    expect(response.headers.location).toMatch(/^\/staff\/login/);
  });
});
