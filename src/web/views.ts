import path from 'node:path';
import ejs from 'ejs';
import type { Express } from 'express';
import { projectRoot } from '../db/paths.js';
import { formatDateJa, formatJstDateTime, formatMinutes, formatMomentJa } from '../lib/jst.js';

export const viewsDir = path.join(projectRoot, 'views');

type RenderCallback = (error: Error | null, html?: string) => void;

/**
 * EJS with layouts: a view renders first, then the layout named by `layout` (default
 * layouts/citizen; false for none) wraps it as `body`.
 */
function renderWithLayout(filePath: string, locals: Record<string, unknown>, callback: RenderCallback): void {
  const options = { async: false, cache: locals.cache === true };
  ejs.renderFile(filePath, locals, options, (error: Error | null, body?: string) => {
    if (error) return callback(error);
    const layout = locals.layout === undefined ? 'layouts/citizen' : locals.layout;
    if (layout === false) return callback(null, body);
    ejs.renderFile(path.join(viewsDir, `${String(layout)}.ejs`), { ...locals, body }, options, callback);
  });
}

/**
 * Whether `name` is the form's first field with an error (errors keep the form's order): that
 * field gets autofocus, so after a refused form the keyboard and the screen reader start there,
 * reading its label and its error (aria-describedby).
 */
export const firstError = (errors: Record<string, unknown> | undefined, name: string): boolean => Object.keys(errors ?? {})[0] === name;

export function configureViews(app: Express): void {
  Object.assign(app.locals, { formatJst: formatJstDateTime, formatDateJa, formatMinutes, formatMomentJa, firstError });
  app.engine('ejs', renderWithLayout as Parameters<Express['engine']>[1]);
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
}
