import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The admin key: GANTRY_MASTER_KEY when set; otherwise the one stored in the data folder, made on
 * first start. `created` tells the caller to print it once.
 */
export function resolveMasterKey(configured: string | undefined, dataDir: string): { key: string; created: boolean; path?: string } {
  if (configured !== undefined) return { key: configured, created: false };
  const path = join(dataDir, 'master-key');
  if (existsSync(path)) return { key: readFileSync(path, 'utf8').trim(), created: false, path };
  mkdirSync(dataDir, { recursive: true });
  const key = `gk-master-${randomBytes(24).toString('base64url')}`;
  writeFileSync(path, `${key}\n`, { mode: 0o600 });
  return { key, created: true, path };
}
