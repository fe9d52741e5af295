// Makes the operator's own login for the contract-end erasure: a role that is a member of
// personal_data_eraser, with a random password shown once. Run by the operator with the app's
// database credential (the embedded server's owner, or a DBA's role on a server of its own), at
// contract end only; the app never calls it.
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/client.js';
import { AppError } from '../../lib/app-error.js';
import { ERASER_ROLE } from './erasure.js';

const LOGIN = /^[a-z][a-z0-9_]{2,40}$/;

export async function createEraserLogin(database: Database, login: string): Promise<string> {
  if (!LOGIN.test(login)) throw new AppError(400, 'eraser_login_name', 'erasure.role.name');
  const [{ taken }] = await database.query<{ taken: boolean }>(`SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS taken`, [login]);
  if (taken) throw new AppError(409, 'eraser_login_taken', 'erasure.role.exists', { login });
  const password = randomBytes(24).toString('base64url');
  // The role and its rights as the migration makes them, again: on a server where the migrating
  // role could not create roles, the role running this command may; tables made by another
  // owner get their rights too.
  await database.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ERASER_ROLE}') THEN CREATE ROLE ${ERASER_ROLE} NOLOGIN; END IF; END $$`);
  await database.query(`GRANT USAGE ON SCHEMA public TO ${ERASER_ROLE}`);
  await database.query(`GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO ${ERASER_ROLE}`);
  await database.query(`CREATE ROLE ${login} LOGIN PASSWORD '${password}' IN ROLE ${ERASER_ROLE}`);
  return password;
}
