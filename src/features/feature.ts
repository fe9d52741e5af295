import type { Router } from 'express';
import type { Action } from '../policies/index.js';
import type { Booker } from './citizen/session.js';

/** The staff menu's sections, by task (the home page and every console page show them in this order). */
export const MENU_GROUPS = ['today', 'cards', 'schedule', 'reports', 'admin', 'help'] as const;
export type MenuGroup = (typeof MENU_GROUPS)[number];

export interface StaffMenuItem {
  href: string;
  group: MenuGroup;
  labelKey: string;
  /** Shown to users who may take this action. */
  action: Action;
}

/**
 * What a feature folder contributes to the app. app.ts lists the features; the staff router
 * mounts their staff routes under /staff (after log-in checks) and shows their menu items.
 */
export interface Feature {
  name: string;
  citizenRouter?: Router;
  staffRouter?: Router;
  staffMenu?: StaffMenuItem[];
  /** What the feature lets go of when a citizen logs out or their session ends (booking: the held places). */
  citizenLeft?: (booker: Booker) => Promise<void>;
}
