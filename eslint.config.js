// ESLint: typescript-eslint's recommended rules (syntax only, no type information, so it stays
// fast) and the layering rules of docs/decisions/0013-layers-and-lint.md.
// typescript-eslint comes from tools/lint (its own install with TypeScript 6; see its package.json).
import { defineConfig, js, tseslint } from './tools/lint/index.js';

const decision = 'see docs/decisions/0013-layers-and-lint.md';

/** Import rules; a file gets every rule of the groups it belongs to (ESLint does not merge one rule's options across blocks). */
const noWeb = { regex: '(^|/)web/', message: `Only route files import src/web/; move what a service needs to src/lib/ or the feature (${decision}).` };
const noApp = { regex: '(^|/)app\\.js$', message: `Nothing but server.ts imports app.ts; AppContext is in src/context.ts (${decision}).` };
const noFeatures = { regex: '(^|/)features/', message: `src/lib, src/domain and src/db are below the features and import none of them (${decision}).` };
const noLauncher = { regex: '(^|/)db/embedded\\.js$', message: 'Request-handling code never imports the embedded PostgreSQL launcher (it starts programs).' };
const noShell = { regex: '^(node:)?child_process$', message: 'No shell and no child processes (IPA: OS command injection); only src/db/embedded.ts starts programs.' };

const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

/** Services run in the transaction they are given; routes, jobs and CLI commands open it. */
const noOpenTransaction = {
  regex: '(^|/)db/transaction\\.js$',
  importNames: ['transaction'],
  message: `A service takes the Tx it runs in; the route, job or CLI command opens it (${decision}).`,
};
/** Services that commit on their own, with why: an attempt must count whatever follows, and background work is its own edge. */
const ownCommits = {
  'src/features/citizen/login-service.ts': 'citizen', // a log-in attempt is one transaction of its own, counted before its answer
  'src/features/citizen/email-verification.ts': 'citizen', // a code request or a guess is counted before its answer, like a log-in attempt
  'src/features/citizen/identity-checks.ts': 'citizen', // a staff identity check is counted even when the change it guards fails
  'src/features/staff/auth-service.ts': 'staff', // a staff log-in attempt likewise
  'src/features/staff/audit.ts': 'staff', // auditAttempt: the audit row of such an attempt
  'src/features/cards/import-service.ts': 'cards', // preview and commit run in the background after the response; progress commits alongside
  'src/features/notify/outbox-worker.ts': 'notify', // the background mail sender
  'src/features/notify/monitor.ts': 'notify', // the background health monitor
};

/** Feature folders, lowest first: a feature imports only the features before it. */
const features = ['staff', 'schedule', 'notify', 'citizen', 'cards', 'floor', 'booking', 'console', 'handover'];
const featuresAfter = (feature, allowed = undefined) => {
  const later = features.slice(features.indexOf(feature) + 1).filter((name) => name !== allowed);
  if (later.length === 0) return [];
  return [{ regex: `(^|/)(${later.join('|')})/`, message: `${feature} comes before ${later.join(', ')} in the feature order and imports none of them (${decision}).` }];
};

/** Route files: the web edge of a feature, which may use src/web/ (sessions, CSRF, headers). */
const routeFilesOf = (feature) => [
  `src/features/${feature}/**/routes.ts`,
  `src/features/${feature}/**/*-routes.ts`,
  ...['src/features/cards/index.ts', 'src/features/console/index.ts', 'src/features/citizen/session.ts' /* the citizen session middleware */].filter((file) =>
    file.startsWith(`src/features/${feature}/`),
  ),
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
  { files: ['src/features/**/*.ts', 'src/jobs/**/*.ts', 'src/db/**/*.ts'], rules: restrict(noApp, noShell, noWeb, noLauncher) },
  // Features in order: each imports only features before it, so feature folders form no cycle.
  ...features.map((feature) => ({ files: [`src/features/${feature}/**/*.ts`], rules: restrict(noApp, noShell, noWeb, noLauncher, noOpenTransaction, ...featuresAfter(feature)) })),
  ...Object.entries(ownCommits).map(([file, feature]) => ({ files: [file], rules: restrict(noApp, noShell, noWeb, noLauncher, ...featuresAfter(feature)) })),
  // A feature's CLI commands are an edge too: they open the transaction.
  ...features.map((feature) => ({ files: [`src/features/${feature}/cli/**/*.ts`], rules: restrict(noApp, noShell, noWeb, ...featuresAfter(feature)) })),
  ...features.map((feature) => ({ files: routeFilesOf(feature), rules: restrict(noApp, noShell, noLauncher, ...featuresAfter(feature)) })),
  { files: ['src/features/feature.ts'], rules: restrict(noApp, noShell, noLauncher) },
  { files: ['src/lib/**/*.ts', 'src/domain/**/*.ts'], rules: restrict(noApp, noShell, noWeb, noFeatures) },
  { files: ['src/server.ts'], rules: restrict(noShell) },
  // db is below the features too; seed.ts fills a demo database the way the app would, so it uses them.
  { files: ['src/db/**/*.ts'], ignores: ['src/db/seed.ts'], rules: restrict(noApp, noShell, noWeb, noFeatures) },
  { files: ['src/db/embedded.ts'], rules: restrict(noApp, noWeb, noFeatures) },
  // One way to open a transaction: transaction() in src/db/transaction.ts.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/db/transaction.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='$transaction']", message: `Open transactions with transaction() from src/db/transaction.ts (${decision}).` },
      ],
    },
  },
);
