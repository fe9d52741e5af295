// Generates the Prisma client during `npm ci` without any download.
// `prisma generate` only checks that a schema-engine binary exists; it never runs it,
// so we point it at this file (see ../shared/notes/offline-toolchain.md).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: fileURLToPath(import.meta.url), PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
const result = spawnSync(process.execPath, ['node_modules/prisma/build/index.js', 'generate'], { env, stdio: 'inherit' });
process.exit(result.status ?? 1);
