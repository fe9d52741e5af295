import type { AppContext } from '../../context.js';
import type { Feature } from '../feature.js';
import { cardRoutes } from './routes.js';

/** Card holders, J-LIS import, status workflow, follow-up and pull lists. */
export function cardsFeature(context: AppContext): Feature {
  return {
    name: 'cards',
    staffRouter: cardRoutes(context),
    staffMenu: [
      { href: '/staff/cards', labelKey: 'cards.menu.list', roles: ['admin', 'staff', 'operator'] },
      { href: '/staff/cards/imports', labelKey: 'cards.menu.import', roles: ['admin', 'staff'] },
      { href: '/staff/cards/pull-list', labelKey: 'cards.menu.pull', roles: ['admin', 'staff'] },
      { href: '/staff/cards/follow-up', labelKey: 'cards.menu.followUp', roles: ['admin', 'staff'] },
      { href: '/staff/cards/new', labelKey: 'cards.menu.new', roles: ['admin', 'staff'] },
      { href: '/staff/cards/profiles', labelKey: 'cards.menu.profiles', roles: ['admin'] },
    ],
  };
}
