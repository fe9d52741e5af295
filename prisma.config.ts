import { defineConfig } from 'prisma/config';

// The CLI is only used for `prisma generate` (see scripts/prisma-generate.mjs).
// Migrations are applied by src/db/migrator.ts through the WebAssembly schema engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
