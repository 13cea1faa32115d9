import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadConfigOptions } from '../src/index.ts';

const local = { type: 'openai-compatible', base_url: 'http://127.0.0.1:9/v1' };

/** The ConfigError loadConfig throws for these options (fails the test when it does not throw). */
function configError(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw a ConfigError');
}

const directories: string[] = [];
function emptyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'gantry-config-'));
  directories.push(directory);
  return directory;
}

describe('loadConfig', () => {
  afterAll(() => {
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  describe('environment interpolation', () => {
    it('replaces ${VAR} with the variable and ${VAR:-default} with the default when unset', () => {
      const config = loadConfig({
        file: {
          providers: {
            local: { type: 'openai-compatible', base_url: '${LOCAL_URL}', api_key: '${LOCAL_KEY:-none}', headers: { 'x-team': 'team-${TEAM:-a}' } },
          },
        },
        env: { LOCAL_URL: 'http://10.0.0.5:8000/v1' },
      });
      expect(config.providers).toEqual([
        { name: 'local', type: 'openai-compatible', baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'none', headers: { 'x-team': 'team-a' } },
      ]);
    });

    it('prefers a set variable over the default', () => {
      const config = loadConfig({ file: { providers: { local: { ...local, api_key: '${LOCAL_KEY:-none}' } } }, env: { LOCAL_KEY: 'sk-set' } });
      expect(config.providers[0]?.apiKey).toBe('sk-set');
    });

    it('rejects an unset variable without default, naming the config path and the variable', () => {
      const error = configError({ file: { providers: { local: { ...local, api_key: '${LOCAL_KEY}' } } }, env: {} });
      expect(error.message).toContain('providers.local.api_key');
      expect(error.message).toContain('LOCAL_KEY');
    });

    it('never lets a variable change the YAML structure', () => {
      const cwd = emptyDirectory();
      writeFileSync(join(cwd, 'gantry.yaml'), 'providers:\n  local:\n    type: openai-compatible\n    base_url: http://127.0.0.1:9/v1\n    api_key: ${KEY}\n');
      const config = loadConfig({ cwd, env: { KEY: 'a\n    headers: {x: y}' } });
      expect(config.providers[0]).toMatchObject({ apiKey: 'a\n    headers: {x: y}' });
      expect(config.providers[0]?.headers).toBeUndefined();
    });
  });

  describe('validation', () => {
    it('rejects an invalid base_url, naming providers.<name>.base_url', () => {
      const error = configError({ file: { providers: { local: { type: 'openai-compatible', base_url: 'not a url' } } }, env: {} });
      expect(error.message).toContain('providers.local.base_url');
    });

    it('requires a base_url for openai-compatible providers', () => {
      expect(configError({ file: { providers: { local: { type: 'openai-compatible' } } }, env: {} }).message).toContain('providers.local.base_url');
    });

    it('rejects an unknown provider type and lists the accepted ones', () => {
      const error = configError({ file: { providers: { local: { type: 'openia', base_url: 'http://127.0.0.1:9/v1' } } }, env: {} });
      expect(error.message).toContain('providers.local.type');
      expect(error.message).toContain('"openia"');
      expect(error.message).toContain('openai, openai-compatible');
    });

    it('rejects an alias target on an unknown provider, naming the target', () => {
      const error = configError({ file: { providers: { local }, models: { fast: { targets: ['local/llama3', 'remote/llama3'] } } }, env: {} });
      expect(error.message).toContain('models.fast.targets[1]: unknown provider');
      expect(error.message).toContain('remote');
    });

    it('rejects an alias target that is not provider/model', () => {
      const error = configError({ file: { providers: { local }, models: { fast: { targets: ['llama3'] } } }, env: {} });
      expect(error.message).toContain('models.fast.targets[0]');
      expect(error.message).toContain('provider/model');
    });

    it('rejects an unknown top-level key, naming it', () => {
      const error = configError({ file: { providers: { local }, provider: {} }, env: {} });
      expect(error.message).toContain('"provider"');
      expect(error.message).toMatch(/unrecognized key/i);
    });

    it('rejects a PGlite page cache outside 1–1024 MB, naming database.pglite_shared_buffers_mb', () => {
      expect(configError({ cwd: emptyDirectory(), file: { database: { pglite_shared_buffers_mb: 4096 } }, env: {} }).message).toContain('database.pglite_shared_buffers_mb');
    });

    it('rejects a bad port in GANTRY_PORT', () => {
      expect(configError({ file: {}, env: { GANTRY_PORT: 'eighty' } }).message).toContain('GANTRY_PORT');
    });
  });

  describe('defaults and the environment', () => {
    it('without a config file, makes an openai provider from OPENAI_API_KEY with the default base URL', () => {
      const config = loadConfig({ cwd: emptyDirectory(), env: { OPENAI_API_KEY: 'sk-test' } });
      expect(config.providers).toEqual([{ name: 'openai', type: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-test' }]);
      expect(config.source).toContain('no gantry.yaml');
    });

    it('without a config file or keys, starts with the bundled mock provider only and the defaults', () => {
      const cwd = emptyDirectory();
      const config = loadConfig({ cwd, env: {} });
      expect(config).toMatchObject({
        providers: [{ name: 'mock', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:4010/v1' }],
        bundledMockOnly: true,
        host: '127.0.0.1',
        port: 4000,
        bodyLimit: 10 * 1024 * 1024,
        databaseUrl: undefined,
        dataDir: join(cwd, '.gantry'),
        masterKey: undefined,
        recording: { storeRaw: true },
      });
    });

    it('honours GANTRY_PORT, GANTRY_HOST, GANTRY_DATA_DIR, DATABASE_URL, GANTRY_BODY_LIMIT and GANTRY_MASTER_KEY over the file', () => {
      const cwd = emptyDirectory();
      const config = loadConfig({
        cwd,
        file: { server: { host: '127.0.0.2', port: 4100, body_limit: 1000 }, database: { url: 'postgres://file/db', data_dir: 'file-data' } },
        env: {
          GANTRY_PORT: '0',
          GANTRY_HOST: '0.0.0.0',
          GANTRY_DATA_DIR: 'env-data',
          DATABASE_URL: 'postgres://env/db',
          GANTRY_BODY_LIMIT: '2048',
          GANTRY_MASTER_KEY: 'gk-master-env',
        },
      });
      expect(config).toMatchObject({
        port: 0,
        host: '0.0.0.0',
        dataDir: join(cwd, 'env-data'),
        databaseUrl: 'postgres://env/db',
        bodyLimit: 2048,
        masterKey: 'gk-master-env',
      });
    });

    it('takes server and database settings from the file when the environment has none', () => {
      const cwd = emptyDirectory();
      const config = loadConfig({
        cwd,
        file: { server: { host: '127.0.0.2', port: 4100, body_limit: 1000 }, database: { data_dir: 'file-data', pglite_shared_buffers_mb: 64 } },
        env: {},
      });
      expect(config).toMatchObject({ port: 4100, host: '127.0.0.2', bodyLimit: 1000, dataDir: join(cwd, 'file-data'), pgliteSharedBuffersMb: 64, databaseUrl: undefined });
    });

    it('treats empty environment variables as unset, as ${VAR} interpolation does', () => {
      const cwd = emptyDirectory();
      writeFileSync(join(cwd, 'gantry.yaml'), 'server:\n  port: 4100\n');
      const config = loadConfig({
        cwd,
        env: { GANTRY_CONFIG: '', GANTRY_PORT: '', GANTRY_HOST: '', GANTRY_DATA_DIR: '', GANTRY_BODY_LIMIT: '', DATABASE_URL: '', GANTRY_MASTER_KEY: '' },
      });
      expect(config).toMatchObject({
        source: join(cwd, 'gantry.yaml'),
        port: 4100,
        host: '127.0.0.1',
        dataDir: join(cwd, '.gantry'),
        bodyLimit: 10 * 1024 * 1024,
        databaseUrl: undefined,
        masterKey: undefined,
      });
    });

    it('bounds client connections by default: 15 s for headers, 60 s for a whole request, 65 s idle, 256 per address', () => {
      expect(loadConfig({ file: {}, env: {} }).connections).toEqual({ headerTimeoutMs: 15_000, bodyTimeoutMs: 60_000, idleTimeoutMs: 65_000, maxPerAddress: 256 });
    });

    it('takes client connection limits from the server section, 0 lifting a timeout or the cap', () => {
      const config = loadConfig({
        file: { server: { header_timeout_ms: 0, body_timeout_ms: 0, idle_timeout_ms: 5_000, max_connections_per_address: 0 } },
        env: {},
      });
      expect(config.connections).toEqual({ headerTimeoutMs: 0, bodyTimeoutMs: 0, idleTimeoutMs: 5_000, maxPerAddress: 0 });
    });

    it('rejects a header timeout longer than the body timeout, which counts from the same first byte', () => {
      const error = configError({ file: { server: { header_timeout_ms: 30_000, body_timeout_ms: 20_000 } }, env: {} });
      expect(error.message).toContain('server.header_timeout_ms (30000) must not exceed server.body_timeout_ms (20000)');
    });

    it('rejects a negative connection cap, naming its path', () => {
      expect(configError({ file: { server: { max_connections_per_address: -1 } }, env: {} }).message).toContain('server.max_connections_per_address');
    });

    it('maps pricing and recording settings to their camelCase form', () => {
      const config = loadConfig({
        file: {
          providers: { local },
          pricing: { 'local/llama3': { input: 0.1, output: 0.2, cached_input: 0.05 } },
          recording: { enabled: false, store_raw: false, max_buffered_spans: 5, flush_interval_ms: 50 },
        },
        env: {},
      });
      expect(config.pricing).toEqual({ 'local/llama3': { input: 0.1, output: 0.2, cachedInput: 0.05 } });
      expect(config.recording).toEqual({ enabled: false, storeRaw: false, maxBufferedSpans: 5, flushIntervalMs: 50 });
    });
  });

  describe('the config file', () => {
    it('reads gantry.yaml from the working directory, interpolating the environment', () => {
      const cwd = emptyDirectory();
      const path = join(cwd, 'gantry.yaml');
      writeFileSync(path, 'providers:\n  local:\n    type: openai-compatible\n    base_url: ${LOCAL_URL}\nmodels:\n  fast:\n    targets: [local/llama3]\n');
      const config = loadConfig({ cwd, env: { LOCAL_URL: 'http://127.0.0.1:8000/v1' } });
      expect(config.source).toBe(path);
      expect(config.providers).toEqual([{ name: 'local', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:8000/v1' }]);
      expect(config.aliases).toEqual({ fast: { targets: ['local/llama3'] } });
    });

    it('reads the file GANTRY_CONFIG names, relative to the working directory', () => {
      const cwd = emptyDirectory();
      writeFileSync(join(cwd, 'other.yaml'), 'server:\n  port: 4321\n');
      expect(loadConfig({ cwd, env: { GANTRY_CONFIG: 'other.yaml' } }).port).toBe(4321);
    });

    it('fails when GANTRY_CONFIG points to a missing file', () => {
      const cwd = emptyDirectory();
      const error = configError({ cwd, env: { GANTRY_CONFIG: 'missing.yaml' } });
      expect(error.message).toContain(join(cwd, 'missing.yaml'));
      expect(error.message).toContain('does not exist');
    });

    it('reports a file that is not valid YAML with its path', () => {
      const cwd = emptyDirectory();
      writeFileSync(join(cwd, 'gantry.yaml'), 'providers: [unclosed\n');
      const error = configError({ cwd, env: {} });
      expect(error.message).toContain(join(cwd, 'gantry.yaml'));
      expect(error.message).toContain('not valid YAML');
    });

    it('accepts an empty file as all defaults', () => {
      const cwd = emptyDirectory();
      writeFileSync(join(cwd, 'gantry.yaml'), '');
      expect(loadConfig({ cwd, env: {} }).providers).toEqual([]);
    });
  });
  describe('cache', () => {
    it('is off everywhere unless configured, and layers the defaults, a model and a key', () => {
      expect(loadConfig({ file: {}, env: {} }).cache.defaults).toMatchObject({ mode: 'off', ttlSeconds: 3600, scope: 'team', cacheSampled: false });
      const { cache } = loadConfig({ file: { cache: { mode: 'exact', ttl_seconds: 60, models: { fast: { ttl_seconds: 5 } }, keys: { k1: { mode: 'off', scope: 'key' } } } }, env: {} });
      expect(cache.defaults).toMatchObject({ mode: 'exact', ttlSeconds: 60 });
      expect(cache.models).toEqual({ fast: { ttlSeconds: 5 } });
      expect(cache.keys).toEqual({ k1: { mode: 'off', scope: 'key' } });
    });

    it('gives embedded PGlite a larger page cache when a semantic cache is configured, unless one is set', () => {
      expect(loadConfig({ file: {}, env: {} }).pgliteSharedBuffersMb).toBeUndefined();
      expect(loadConfig({ file: { cache: { mode: 'semantic', semantic: { embedding_model: 'local' } } }, env: {} }).pgliteSharedBuffersMb).toBe(128);
      expect(loadConfig({ file: { database: { pglite_shared_buffers_mb: 32 }, cache: { mode: 'semantic', semantic: { embedding_model: 'local' } } }, env: {} }).pgliteSharedBuffersMb).toBe(32);
    });

    it('needs cache.semantic for semantic mode, and a judge model for the llm judge, naming the path', () => {
      expect(configError({ file: { cache: { models: { fast: { mode: 'semantic' } } } }, env: {} }).message).toMatch(/^cache\.models\.fast\.mode: semantic mode needs cache\.semantic\.embedding_model/);
      expect(configError({ file: { cache: { mode: 'semantic', semantic: { embedding_model: 'local/e', judge: 'llm' } } }, env: {} }).message).toMatch(/^cache\.semantic\.judge_model/);
      expect(configError({ file: { cache: { mode: 'fuzzy' } }, env: {} }).message).toMatch(/cache\.mode: must be one of off, exact, semantic/);
      const { cache } = loadConfig({ file: { cache: { mode: 'semantic', semantic: { embedding_model: 'local/e' } } }, env: {} });
      expect(cache.semantic).toEqual({ embeddingModel: 'local/e', judge: 'exact', judgeModel: undefined, judgeThreshold: 0.9, delta: 0.02, anyTurn: false });
    });
  });
  describe('guardrails', () => {
    const KEY = Buffer.alloc(32, 7).toString('base64');
    it('is off unless configured; a section at a more specific level replaces the defaults, false turns it off', async () => {
      expect(loadConfig({ file: {}, env: {} }).guardrails).toBeUndefined();
      const { guardrailPolicyFor } = await import('../src/config/guardrails-config.ts');
      const config = loadConfig({
        file: { guardrails: { pii: {}, injection: { action: 'flag' }, models: { fast: { pii: { actions: { card: 'block' } } } }, teams: { t1: { injection: { action: 'block', threshold: 0.8 } } }, keys: { k1: { pii: false } }, pseudonyms: { key: KEY } } },
        env: {},
      }).guardrails!;
      expect(config.pseudonyms).toMatchObject({ store: 'database', ttlMs: 168 * 3_600_000 });
      const plain = guardrailPolicyFor(config, { apiKeyId: 'k2', teamId: null, model: 'other' })!;
      expect(plain.pii!.actions.size).toBe(0);
      expect(plain.injection).toEqual({ action: 'flag', threshold: 0.5 });
      expect(guardrailPolicyFor(config, { apiKeyId: 'k2', teamId: null, model: 'fast' })!.pii!.actions.get('card')).toBe('block');
      expect(guardrailPolicyFor(config, { apiKeyId: 'k2', teamId: 't1', model: 'fast' })!.injection).toEqual({ action: 'block', threshold: 0.8 });
      const off = guardrailPolicyFor(config, { apiKeyId: 'k1', teamId: null, model: 'fast' })!;
      expect(off.pii).toBeUndefined();
      expect(off.injection).toBeDefined();
    });

    it('refuses a database store without a key, a key of the wrong size, unknown actions and bad custom patterns, naming the path', () => {
      expect(loadConfig({ file: { guardrails: { pii: {} } }, env: {} }).guardrails!.pseudonyms.store).toBe('memory');
      expect(configError({ file: { guardrails: { pii: {}, pseudonyms: { store: 'database' } } }, env: {} }).message).toMatch(/^guardrails\.pseudonyms\.key: the database store seals values/);
      expect(configError({ file: { guardrails: { pii: {}, pseudonyms: { key: 'c2hvcnQ=' } } }, env: {} }).message).toMatch(/^guardrails\.pseudonyms\.key: must be 32 bytes/);
      expect(configError({ file: { guardrails: { pii: { actions: { email: 'shred' } } } }, env: {} }).message).toMatch(/guardrails\.pii\.actions\.email: must be one of pseudonymize, redact, block, log/);
      expect(configError({ file: { guardrails: { models: { m: { pii: { custom: [{ name: 'bad', pattern: '(' }] } } } } }, env: {} }).message).toMatch(/^guardrails\.models\.m\.pii: .*bad/);
      expect(configError({ file: { guardrails: { pii: { detectors: ['email'], actions: { phone: 'block' } } } }, env: {} }).message).toMatch(/^guardrails\.pii\.actions\.phone: no such detector here/);
    });
  });
});
