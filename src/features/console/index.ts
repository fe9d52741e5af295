import type { AppContext } from '../../context.js';
import type { Feature } from '../feature.js';
import { Router } from 'express';
import { applicantRoutes } from './applicant-routes.js';
import { consoleRoutes } from './routes.js';

/** The staff and call-center console: day board, search, booking on behalf, counter work, CSV. */
export function consoleFeature(context: AppContext): Feature {
  return {
    name: 'console',
    staffRouter: Router().use(consoleRoutes(context), applicantRoutes(context)),
    staffMenu: [
      { href: '/staff/console', group: 'today', labelKey: 'console.menu.index', action: 'console.view' },
      { href: '/staff/console/export', group: 'reports', labelKey: 'console.menu.export', action: 'bookings.export' },
    ],
  };
}
