import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration', () => {
  it('When nothing is set, then development defaults apply and no database URL is required', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('When a variable is malformed, then start-up stops with a message naming it', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' })).toThrow(ConfigError);
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    } catch (error) {
      expect((error as Error).message).toContain('PORT');
      expect((error as Error).message).toContain('DATABASE_URL');
    }
  });

  it('When production lacks its secrets, then start-up names each missing variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET[\s\S]*BIRTH_DATE_PEPPER/);
  });

  it('When a secret is too short, then it is refused', () => {
    expect(() => loadConfig({ SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
  });

  it('Every variable the schema knows is documented in .env.example', async () => {
    const { readFile } = await import('node:fs/promises');
    const { configSchema } = await import('../../src/config.js');
    const example = await readFile('.env.example', 'utf8');
    for (const name of Object.keys(configSchema.shape)) expect(example).toContain(`${name}=`);
  });
});
