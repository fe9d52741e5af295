// Help pages of the console: the list of manuals, one manual (printable, to paper or PDF), and
// the manuals' pictures.
import path from 'node:path';
import { Router } from 'express';
import type { AppContext } from '../../context.js';
import { AppError } from '../../lib/app-error.js';
import { requirePermission } from '../staff/access.js';
import type { Feature } from '../feature.js';
import { IMAGE_NAME, isManual, MANUAL_IMAGES_DIR, manualTitles, renderManual } from './manuals.js';

const layout = 'layouts/staff';

export function helpFeature(_context: AppContext): Feature {
  const router = Router();
  router.use('/help', requirePermission('help.read'));
  router.get('/help', async (_req, res) => {
    res.render('help/index', { title: res.locals.t('help.title'), layout, manuals: await manualTitles() });
  });
  router.get('/help/images/:file', (req, res, next) => {
    if (!IMAGE_NAME.test(req.params.file)) return next(new AppError(404, 'not_found', 'error.404.body'));
    res.sendFile(path.join(MANUAL_IMAGES_DIR, req.params.file), (error) => error && next(new AppError(404, 'not_found', 'error.404.body')));
  });
  router.get('/help/:manual', async (req, res) => {
    if (!isManual(req.params.manual)) throw new AppError(404, 'not_found', 'error.404.body');
    const manual = await renderManual(req.params.manual, res.locals.t('help.missingImage'));
    res.render('help/manual', { title: manual.title, layout, manual });
  });
  return { name: 'help', staffRouter: router, staffMenu: [{ href: '/staff/help', group: 'help', labelKey: 'help.menu', action: 'help.read' }] };
}
