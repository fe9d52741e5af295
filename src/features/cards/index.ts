import type { AppContext } from '../../context.js';
import type { Feature } from '../feature.js';
import { Router } from 'express';
import { logisticsRoutes } from './logistics/routes.js';
import { cardRoutes } from './routes.js';

/** Card holders, J-LIS import, status workflow, follow-up and pull lists, and the cards' logistics between sites. */
export function cardsFeature(context: AppContext): Feature {
  const staffRouter = Router();
  staffRouter.use(logisticsRoutes(context), cardRoutes(context));
  return {
    name: 'cards',
    staffRouter,
    staffMenu: [
      { href: '/staff/cards', group: 'cards', labelKey: 'cards.menu.list', action: 'cards.view' },
      { href: '/staff/cards/imports', group: 'cards', labelKey: 'cards.menu.import', action: 'cards.import' },
      { href: '/staff/cards/pull-list', group: 'cards', labelKey: 'cards.menu.pull', action: 'cards.export' },
      { href: '/staff/cards/follow-up', group: 'cards', labelKey: 'cards.menu.followUp', action: 'cards.export' },
      { href: '/staff/cards/new', group: 'cards', labelKey: 'cards.menu.new', action: 'cards.edit' },
      { href: '/staff/logistics', group: 'cards', labelKey: 'logistics.menu', action: 'logistics.work' },
      { href: '/staff/cards/profiles', group: 'cards', labelKey: 'cards.menu.profiles', action: 'cards.importProfiles' },
    ],
  };
}
