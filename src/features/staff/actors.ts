// Who did something, in one stored format (actorKey, src/lib/actor.ts) and one display format. Every "who" column
// (Booking.createdBy, CardStatusChange.actor, ImportBatch.uploadedBy/committedBy,
// Alert.acknowledgedBy) holds actorKey(actor): 'staff:<staffUserId>', 'citizen:<cardHolderId>'
// or 'system:<job>' ('system:mail:<address>' for an alert acknowledged from its mail link).
// The audit log keeps the same two parts in actor_type / actor_id. People see actorLabel only.
import type { DbTx } from '../../db/client.js';

/** A label in the viewer's language: a staff member's name, 「本人(ウェブ)」, 「システム」. */
export type ActorLabel = (key: string | null | undefined) => string;
type Translate = (key: string, params?: Record<string, string | number>) => string;

function splitKey(key: string): { type: string; id: string } {
  const colon = key.indexOf(':');
  return colon < 0 ? { type: '', id: key } : { type: key.slice(0, colon), id: key.slice(colon + 1) };
}

/** Loads the display names of the staff among `keys` and returns the label function for them. */
export async function actorLabeler(db: DbTx, keys: (string | null | undefined)[], t: Translate): Promise<ActorLabel> {
  const staffIds = [
    ...new Set(
      keys
        .flatMap((key) => (key ? [splitKey(key)] : []))
        .filter((part) => part.type === 'staff' && /^\d+$/.test(part.id))
        .map((part) => Number(part.id)),
    ),
  ];
  const users = staffIds.length === 0 ? [] : await db.staffUser.findMany({ where: { id: { in: staffIds } }, select: { id: true, displayName: true } });
  const names = new Map(users.map((user) => [String(user.id), user.displayName]));
  return (key) => {
    if (!key) return '';
    const { type, id } = splitKey(key);
    if (type === 'staff' && id.startsWith('unknown:')) return t('actor.unknownLogin', { loginId: id.slice(8) });
    if (type === 'staff') return names.get(id) ?? t('actor.staffUnknown');
    if (type === 'citizen') return t('actor.citizen');
    if (type === 'system' && id.startsWith('mail:')) return t('actor.mailLink', { address: id.slice(5) });
    if (type === 'system') return t('actor.system');
    return t('actor.unknown');
  };
}
