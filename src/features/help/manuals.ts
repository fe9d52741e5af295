// The manuals in docs/manuals/ (Markdown, written for their readers in Japanese) as help pages of
// the console. Their screenshots are made by the browser tests (tests/e2e/manuals.test.ts) into
// docs/manuals/images/; a picture not made yet is shown as a note, never as a broken image.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Marked } from 'marked';
import { projectRoot } from '../../db/paths.js';
import { escapeHtml } from '../../lib/html.js';

export const MANUALS_DIR = path.join(projectRoot, 'docs', 'manuals');
export const MANUAL_IMAGES_DIR = path.join(MANUALS_DIR, 'images');

/** The manuals, in the order the help page lists them (file names without .md). */
export const MANUALS = ['citizen-guide', 'staff-manual', 'operator-manual'] as const;
export type ManualName = (typeof MANUALS)[number];
/** A manual of the list whose file is there. */
export const isManual = (name: string): name is ManualName => (MANUALS as readonly string[]).includes(name) && existsSync(path.join(MANUALS_DIR, `${name}.md`));

/** A picture's file name as the manuals write it: images/<kebab-case>.png. */
export const IMAGE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*\.png$/;

export interface RenderedManual {
  title: string;
  html: string;
  /** The pictures the manual shows that the browser tests have not made yet. */
  missingImages: string[];
}

/** Renders one manual; its first heading is its title. `imagesDir`: where its pictures are looked for. */
export async function renderManual(name: ManualName, missingNote: string, imagesDir = MANUAL_IMAGES_DIR): Promise<RenderedManual> {
  const markdown = await readFile(path.join(MANUALS_DIR, `${name}.md`), 'utf8');
  return renderMarkdown(markdown, name, missingNote, imagesDir);
}

/** A manual's title: its first heading. */
const titleOf = (markdown: string, fallback: string) => /^# (.+)$/m.exec(markdown)?.[1].trim() ?? fallback;

/** Links a manual may hold: pages of this site, web addresses, mail and phone. */
const SAFE_LINK = /^(\/(?!\/)|#|https?:|mailto:|tel:)/i;

/**
 * A manual's HTML. Nothing from the file reaches the page as markup: raw HTML is shown as text,
 * a link goes only to a safe address, and a picture only from the manuals' pictures.
 */
export async function renderMarkdown(markdown: string, fallbackTitle: string, missingNote: string, imagesDir: string): Promise<RenderedManual> {
  const title = titleOf(markdown, fallbackTitle);
  const missingImages: string[] = [];
  const marked = new Marked({
    renderer: {
      // The manuals are ours, but a page never carries raw HTML from a file.
      html: ({ text }) => escapeHtml(text),
      link({ href, tokens }) {
        const text = this.parser.parseInline(tokens);
        return SAFE_LINK.test(href) ? `<a href="${escapeHtml(href)}">${text}</a>` : text;
      },
      image: ({ href, text }) => {
        const file = href.replace(/^images\//, '');
        if (!IMAGE_NAME.test(file)) return escapeHtml(text);
        const alt = escapeHtml(text);
        if (!existsSync(path.join(imagesDir, file))) {
          missingImages.push(file);
          return `<span class="manual-missing-image">${alt} (${escapeHtml(missingNote)})</span>`;
        }
        return `<figure class="manual-figure"><img src="/staff/help/images/${file}" alt="${alt}" loading="lazy"><figcaption>${alt}</figcaption></figure>`;
      },
    },
  });
  return { title, html: await marked.parse(markdown), missingImages };
}

/** The titles of every manual, for the help page's list. */
export async function manualTitles(): Promise<{ name: ManualName; title: string }[]> {
  return Promise.all(
    MANUALS.filter(isManual).map(async (name) => ({
      name,
      title: titleOf(await readFile(path.join(MANUALS_DIR, `${name}.md`), 'utf8'), name),
    })),
  );
}
