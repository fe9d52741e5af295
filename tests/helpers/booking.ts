import type { StaffPrincipal } from '../../src/features/staff/access.js';

/** A clerk with every counter, for booking commands run as staff (past the citizen's deadlines, held-back places). */
export const TEST_CLERK: StaffPrincipal = { id: 0, loginId: 'test-clerk', displayName: 'テスト職員', role: 'admin', mustChangePassword: false, counterIds: null };

/** Who booking commands run as in tests: staff, and a citizen (by card holder id). */
export const STAFF_ACTOR = { type: 'staff' as const, id: '0' };
export const citizenActor = (id: number) => ({ type: 'citizen' as const, id: String(id) });
