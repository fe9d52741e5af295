// Staff never read an internal code on the audit page: every action and target kind that
// recordAudit accepts (a closed list, checked by the compiler at each call) has a Japanese label.
import { describe, expect, it } from 'vitest';
import { AUDIT_ACTIONS, AUDIT_TARGETS } from '../../src/features/staff/audit.js';
import { translator } from '../../src/lib/i18n.js';

const JAPANESE = /[ぁ-んァ-ヶ一-龯]/;

describe('audit log labels', () => {
  const t = translator();
  it.each([...AUDIT_ACTIONS.map((action) => `staff.audit.actions.${action}`), ...AUDIT_TARGETS.map((target) => `staff.audit.targets.${target}`)])(
    'When the audit page shows %s, then it reads as Japanese',
    (key) => {
      expect(t(key)).not.toBe(key);
      expect(t(key)).toMatch(JAPANESE);
    },
  );
});
