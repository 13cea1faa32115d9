import { AuthenticationError } from '@gantry/spec';
import { findApiKeysByPrefix, touchApiKeyLastUsed, type GantryDb } from '@gantry/db';
import { API_KEY_PREFIX_LENGTH, digestsEqual, hashApiKeySecret } from './api-key-secret.ts';

/** Who is calling. */
export type Principal = { kind: 'master' } | { kind: 'key'; keyId: string; name: string; teamId: string | null };

export interface KeyAuthenticatorOptions {
  masterKey: string | undefined;
  /** How long a verified key is trusted without asking the database. Bounds how late a revocation made on another instance takes effect. */
  cacheTtlMs?: number;
  /**
   * How long after its last verification a key keeps working while the database cannot be asked
   * (default 5 min): an outage must not turn every virtual key away once its cache entry is due.
   * A key revoked meanwhile on another instance that can still reach the database works here
   * until this runs out.
   */
  staleIfUnavailableMs?: number;
  /** How often `last_used_at` is written, batched. */
  touchIntervalMs?: number;
  now?: () => number;
}

interface CachedKey {
  principal: Principal;
  expiresAt: number | null;
  verifiedAt: number;
}

const HOW_TO_GET_ONE = 'create a key with POST /admin/keys or `pnpm gantry keys create --name <name>`';

/**
 * Verifies bearer secrets: the master key by constant-time digest comparison; virtual keys by
 * looking up their prefix and comparing SHA-256 digests in constant time. Verified keys are cached
 * for `cacheTtlMs` and verified again ahead of its end while in use, so the hot path makes no
 * database round trip.
 */
export class KeyAuthenticator {
  private readonly masterHash: string | undefined;
  private readonly cache = new Map<string, CachedKey>();
  private readonly used = new Set<string>();
  /** Database lookups in flight, by digest. */
  private readonly lookups = new Map<string, Promise<CachedKey | undefined>>();
  /** Counts invalidations, so a lookup that overlapped one does not cache what it read. */
  private generation = 0;
  private readonly ttl: number;
  private readonly staleTtl: number;
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly db: GantryDb,
    options: KeyAuthenticatorOptions,
  ) {
    this.masterHash = options.masterKey === undefined ? undefined : hashApiKeySecret(options.masterKey);
    this.ttl = options.cacheTtlMs ?? 10_000;
    this.staleTtl = Math.max(this.ttl, options.staleIfUnavailableMs ?? 300_000);
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => void this.flushLastUsed(), options.touchIntervalMs ?? 30_000);
    this.timer.unref();
  }

  async authenticate(secret: string | undefined): Promise<Principal> {
    if (secret === undefined || secret === '') {
      throw new AuthenticationError(`missing API key: send it as "Authorization: Bearer <key>"; ${HOW_TO_GET_ONE}`);
    }
    const hash = hashApiKeySecret(secret);
    if (this.masterHash !== undefined && digestsEqual(hash, this.masterHash)) return { kind: 'master' };

    const now = this.now();
    // Keyed by digest: a map lookup on a SHA-256 reveals nothing usable about the secret.
    const cached = this.cache.get(hash);
    if (cached !== undefined && now - cached.verifiedAt < this.ttl) {
      // A key in use is verified again in the background once half its time is up: its calls
      // never wait for the database, and a revocation elsewhere still shows within the TTL.
      if (now - cached.verifiedAt >= this.ttl / 2) this.verify(hash, secret).catch(() => {});
      return this.accept(cached, now);
    }
    let verified: CachedKey | undefined;
    try {
      verified = await this.verify(hash, secret);
    } catch (error) {
      // The database did not answer (a lookup that found nothing resolves, it does not throw): a
      // key verified recently enough keeps working through the outage.
      if (cached !== undefined && now - cached.verifiedAt < this.staleTtl) return this.accept(cached, now);
      throw error;
    }
    if (verified === undefined) throw new AuthenticationError(`invalid API key '${secret.slice(0, 6)}…': it does not exist or was revoked; ${HOW_TO_GET_ONE}`);
    return this.accept(verified, this.now());
  }

  /** Looks a secret up in the database, once at a time per secret however many calls ask; caches what it finds and forgets what it does not. */
  private verify(hash: string, secret: string): Promise<CachedKey | undefined> {
    let pending = this.lookups.get(hash);
    if (pending === undefined) {
      pending = this.lookUp(hash, secret).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, pending);
    }
    return pending;
  }

  private async lookUp(hash: string, secret: string): Promise<CachedKey | undefined> {
    const generation = this.generation;
    const verifiedAt = this.now();
    const candidates = await findApiKeysByPrefix(this.db, secret.slice(0, API_KEY_PREFIX_LENGTH));
    const row = candidates.find((candidate) => digestsEqual(hash, candidate.secretHash));
    if (row === undefined) {
      this.cache.delete(hash);
      return undefined;
    }
    const entry: CachedKey = {
      principal: { kind: 'key', keyId: row.id, name: row.name, teamId: row.teamId },
      expiresAt: row.expiresAt === null ? null : row.expiresAt.getTime(),
      verifiedAt,
    };
    // A key invalidated while this lookup ran may have been read before its revocation: not cached.
    if (generation !== this.generation) return entry;
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(hash, entry);
    return entry;
  }

  /** Forgets a key at once on this instance (after revocation). */
  invalidate(keyId: string): void {
    this.generation += 1;
    for (const [cacheKey, entry] of this.cache) {
      if (entry.principal.kind === 'key' && entry.principal.keyId === keyId) this.cache.delete(cacheKey);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flushLastUsed();
  }

  private accept(entry: CachedKey, now: number): Principal {
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      throw new AuthenticationError(`API key expired at ${new Date(entry.expiresAt).toISOString()}; ${HOW_TO_GET_ONE}`);
    }
    if (entry.principal.kind === 'key') this.used.add(entry.principal.keyId);
    return entry.principal;
  }

  private async flushLastUsed(): Promise<void> {
    if (this.used.size === 0) return;
    const ids = [...this.used];
    this.used.clear();
    try {
      await touchApiKeyLastUsed(this.db, ids);
    } catch {
      // last_used_at is informational; the next interval tries again with newer ids.
    }
  }
}
