// Set-up shared by the console tests: a counter with slots, card holders, staff of each role.
import type { StaffRole } from '../../src/generated/prisma/client.js';
import type { TestApp } from '../helpers/app.js';
import { createCardHolder, createCounter, createSlot, createStaff } from '../helpers/factories.js';
import { csrfTokenFrom } from '../helpers/http.js';
import { staffAgent } from '../helpers/staff.js';

export type Agent = Awaited<ReturnType<typeof staffAgent>>;

export async function staffOf(t: TestApp, role: StaffRole, counterIds?: number[]) {
  const { user, password } = await createStaff(t.db, { role, counterIds });
  return { user, agent: await staffAgent(t.app, user.loginId, password) };
}

export async function counterWithSlots(t: TestApp, date: string, slots: { startMinute: number; capacity: number; reservedCapacity?: number }[]) {
  const counter = await createCounter(t.db, { name: `窓口-${Math.random().toString(36).slice(2, 7)}` });
  const created = [];
  for (const slot of slots) created.push(await createSlot(t.db, { counterId: counter.id, date, ...slot }));
  return { counter, slots: created };
}

export const holderAt = (t: TestApp, counterId: number, mmdd = '0401') => createCardHolder(t.db, { counterId, mmdd });

/** Posts a form with the token read from `pagePath`, as a browser would. */
export async function postForm(agent: Agent, pagePath: string, action: string, fields: Record<string, string | number>) {
  const page = await agent.get(pagePath);
  return agent
    .post(action)
    .type('form')
    .send({ _csrf: csrfTokenFrom(page.text), ...fields });
}

export async function auditActions(t: TestApp, actorId: number) {
  const rows = await t.db.prisma.auditLog.findMany({ where: { actorType: 'staff', actorId: String(actorId) }, orderBy: { id: 'asc' } });
  return rows;
}
