// ESLint: typescript-eslint's recommended rules (syntax only, no type information, so it stays
// fast) and the layering rules of docs/decisions/0013-layers-and-lint.md.
// typescript-eslint comes from tools/lint (its own install with TypeScript 6; see its package.json).
import { defineConfig, js, tseslint } from './tools/lint/index.js';

const decision = 'see docs/decisions/0013-layers-and-lint.md';

/** Import rules; a file gets every rule of the groups it belongs to (ESLint does not merge one rule's options across blocks). */
const noWeb = { regex: '(^|/)web/', message: `Only route files import src/web/; move what a service needs to src/lib/ or the feature (${decision}).` };
const noApp = { regex: '(^|/)app\\.js$', message: `Nothing but server.ts imports app.ts; AppContext is in src/context.ts (${decision}).` };
const noFeatures = { regex: '(^|/)features/', message: `src/lib is below the features and imports none of them (${decision}).` };
const noLauncher = { regex: '(^|/)db/embedded\\.js$', message: 'Request-handling code never imports the embedded PostgreSQL launcher (it starts programs).' };
const noShell = { regex: '^(node:)?child_process$', message: 'No shell and no child processes (IPA: OS command injection); only src/db/embedded.ts starts programs.' };

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** Route files: the web edge of a feature, which may use src/web/ (sessions, CSRF, headers). */
const routeFiles = [
  'src/features/**/routes.ts',
  'src/features/**/*-routes.ts',
  'src/features/feature.ts',
  'src/features/cards/index.ts',
  'src/features/console/index.ts',
  'src/features/citizen/session.ts', // the citizen session middleware
];

/** Still open their own Prisma transaction; being moved to transaction() (src/db/transaction.ts) by the booking-core work (issue 13). */
const transactionsBeingMoved = [
  'src/jobs/runner.ts',
  'src/features/notify/monitor.ts',
  'src/features/notify/routes.ts',
  'src/features/booking/places.ts',
  'src/features/booking/sql.ts',
  'src/features/cards/card-service.ts',
  'src/features/cards/import-service.ts',
  'src/features/cards/import-profiles.ts',
  'src/features/cards/pull-list.ts',
  'src/features/staff/users-service.ts',
  'src/features/staff/auth-service.ts',
  'src/features/citizen/login-service.ts',
  'src/features/schedule/setup-file.ts',
  'src/features/schedule/change.ts',
  'src/features/schedule/slot-generation.ts',
  'src/features/console/counter-work.ts',
];

export default defineConfig(
  { ignores: ['src/generated/**', 'dist/**', 'coverage/**', 'test-artifacts/**', '.data/**', 'public/**', 'tools/lint/node_modules/**'] },
  { files: ['**/*.ts'], extends: [js.configs.recommended, tseslint.configs.recommended] },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
    },
  },
  // Layers: src/server.ts > src/app.ts > route files > services (features, jobs) > db, lib.
  { files: ['src/**/*.ts'], rules: restrict(noApp, noShell) },
  { files: ['src/app.ts', 'src/web/**/*.ts'], rules: restrict(noApp, noShell, noLauncher) },
  { files: ['src/features/**/*.ts', 'src/jobs/**/*.ts', 'src/db/**/*.ts'], rules: restrict(noApp, noShell, noWeb) },
  { files: ['src/features/**/*.ts'], rules: restrict(noApp, noShell, noWeb, noLauncher) },
  { files: routeFiles, rules: restrict(noApp, noShell, noLauncher) },
  { files: ['src/lib/**/*.ts'], rules: restrict(noApp, noShell, noWeb, noFeatures) },
  { files: ['src/server.ts'], rules: restrict(noShell) },
  { files: ['src/db/embedded.ts'], rules: restrict(noApp, noWeb) },
  // One way to open a transaction: transaction() in src/db/transaction.ts (seed.ts sets up a fresh database).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/db/transaction.ts', 'src/db/seed.ts', ...transactionsBeingMoved],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[property.name='$transaction']", message: `Open transactions with transaction() from src/db/transaction.ts (${decision}).` }],
    },
  },
);
