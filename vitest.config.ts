import { defineConfig } from 'vitest/config';

// Every test runs with a TZ other than Asia/Tokyo; tests named *.jst.test.ts run a second
// time in America/Los_Angeles to prove that dates are Japan time whatever the server's TZ.
const shared = {
  globalSetup: ['tests/setup/global-setup.ts'],
  testTimeout: 120_000, // browser tests on a busy 2-core machine need the headroom
  hookTimeout: 120_000,
  pool: 'forks' as const,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'utc', include: ['tests/**/*.test.ts'], env: { TZ: 'UTC', NODE_ENV: 'test' } } },
      { test: { ...shared, name: 'los-angeles', include: ['tests/**/*.jst.test.ts'], env: { TZ: 'America/Los_Angeles', NODE_ENV: 'test' } } },
    ],
  },
});
