import type { Router } from 'express';
import type { Action } from '../policies/index.js';
import type { Booker } from './citizen/session.js';

export interface StaffMenuItem {
  href: string;
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
