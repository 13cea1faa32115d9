import { ConfigError, loadConfig } from '@gantry/gateway';
import { describe, expect, it } from 'vitest';

const providers = { local: { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' } };

/** gantry.yaml's `database.connect_timeout_ms` and `database.query_timeout_ms` (README, Configuration). */
describe('database timeouts in gantry.yaml', () => {
  it('passes the timeouts set on to the database, and leaves the others to its defaults', () => {
    const config = loadConfig({ file: { providers, database: { url: 'postgres://db.internal/gantry', query_timeout_ms: 15_000 } }, env: {} });
    expect(config.databaseTimeouts).toEqual({ queryMs: 15_000 });
    expect(loadConfig({ file: { providers }, env: {} }).databaseTimeouts).toEqual({});
  });

  it('refuses a timeout that is not a positive number of milliseconds, naming its path', () => {
    expect(() => loadConfig({ file: { providers, database: { connect_timeout_ms: 0 } }, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ file: { providers, database: { connect_timeout_ms: 0 } }, env: {} })).toThrow(/database\.connect_timeout_ms/);
  });
});
