// What the person acting may do beyond a citizen's limits. `by` is the signed-in staff member;
// null is the citizen themselves or a scheduled job, who keep every limit.
import type { StaffPrincipal } from '../staff/access.js';

/** Book, change or cancel past the citizen's deadlines (the phone and the counter may). */
export const mayBypassWindow = (by: StaffPrincipal | null) => by !== null;
/** Take the places a slot holds back from the web. */
export const mayUseHeldBackPlaces = (by: StaffPrincipal | null) => by !== null;
/** Book into a full slot, raising its capacity, with a reason (staff and admins, not operators). */
export const mayOverbook = (by: StaffPrincipal | null) => by !== null && by.role !== 'operator';
