// Who does something: a staff member, a citizen (by card holder) or a scheduled job. Every
// transaction is opened for an actor (src/db/transaction.ts); audit rows and "who" columns store
// actorKey(actor): 'staff:<staffUserId>', 'citizen:<cardHolderId>' or 'system:<job>'.
export interface Actor {
  type: 'staff' | 'citizen' | 'system';
  id: string;
  ip?: string;
}

export const actorKey = (actor: Actor): string => `${actor.type}:${actor.id}`;
