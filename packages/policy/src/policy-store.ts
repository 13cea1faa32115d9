import { and, eq, isNull } from 'drizzle-orm';
import {
  apiKeys,
  budgets,
  customers,
  deleteBudget,
  deleteBudgetsOf,
  deleteCustomer,
  deleteTeam,
  getBudget,
  getCustomer,
  getTeam,
  insertApiKey,
  insertBudget,
  insertCustomer,
  insertTeam,
  revokeApiKey,
  teams,
  updateApiKey,
  updateBudget,
  updateCustomer,
  updateTeam,
  type ApiKeySummary,
  type Budget,
  type BudgetScope,
  type CallerLimits,
  type Customer,
  type GantryDb,
  type NewApiKey,
  type NewBudget,
  type NewCustomer,
  type NewTeam,
  type Team,
} from '@gantry/db';
import { generateApiKeySecret } from './api-key-secret.ts';

/** What the hot path needs to know about a key, a team and a customer, held in memory. */
export interface PolicyKey {
  name: string;
  teamId: string | null;
  allowedModels: string[] | null;
  limits: CallerLimits;
}

export interface PolicyTeam {
  name: string;
  limits: CallerLimits;
}

export interface PolicySnapshot {
  keys: Map<string, PolicyKey>;
  teams: Map<string, PolicyTeam>;
  /** Customer id by `<team id or ''>\n<external id>`. */
  customers: Map<string, string>;
  /** Budgets by `<scope>:<scope id>`. */
  budgets: Map<string, Budget[]>;
}

export interface PolicyStoreOptions {
  /** How often the snapshot is reloaded: bounds how late another instance's admin change applies. */
  refreshMs?: number;
}

/** A team as created: its id and timestamps are filled in. */
export type TeamValues = Pick<NewTeam, 'name' | 'limits' | 'metadata'>;
/** A customer as created: its id and timestamps are filled in. */
export type CustomerValues = Pick<NewCustomer, 'externalId' | 'teamId' | 'name' | 'metadata'>;
/** A budget as created: its id and timestamps are filled in. */
export type BudgetValues = Pick<NewBudget, 'scope' | 'scopeId' | 'period' | 'limitMicros'>;
/** A virtual key as created: its id, secret and timestamps are filled in. */
export type KeyValues = Pick<NewApiKey, 'name' | 'teamId' | 'allowedModels' | 'limits' | 'metadata' | 'expiresAt'>;

/** An update that sets no column: answered with the row as it is (SQL has no empty SET). */
function changesNothing(values: object): boolean {
  return Object.values(values).every((value) => value === undefined);
}

function isEmpty(limits: CallerLimits): boolean {
  return limits.rpm === undefined && limits.tpm === undefined && limits.maxParallel === undefined && limits.run === undefined;
}

/**
 * Keys' limits, teams, customers and budgets, reloaded every `refreshMs` and at once after a write
 * through it (`createTeam`, `updateKey`, …), so a change made on this instance applies to the next
 * call and one made on another within `refreshMs`. Lets a call to which no limit applies skip the
 * ledger entirely.
 */
export class PolicyStore {
  private snapshot: PolicySnapshot = { keys: new Map(), teams: new Map(), customers: new Map(), budgets: new Map() };
  private readonly timer: NodeJS.Timeout;
  private loading: Promise<void> = Promise.resolve();
  private busy = false;

  constructor(
    private readonly db: GantryDb,
    private readonly options: PolicyStoreOptions = {},
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.timer = setInterval(() => {
      if (!this.busy) this.reload().catch(this.onError);
    }, options.refreshMs ?? 1_000);
    this.timer.unref();
  }

  get current(): PolicySnapshot {
    return this.snapshot;
  }

  /**
   * Loads everything (once at start, and after every write through the store). A load already
   * running may have read before the change: this one starts after it, so it sees the change.
   */
  reload(): Promise<void> {
    const next = this.loading.catch(() => {}).then(async () => {
      this.busy = true;
      try {
        await this.load();
      } finally {
        this.busy = false;
      }
    });
    this.loading = next;
    return next;
  }

  private async load(): Promise<void> {
    const [keyRows, teamRows, customerRows, budgetRows] = await Promise.all([
      this.db.select({ id: apiKeys.id, name: apiKeys.name, teamId: apiKeys.teamId, allowedModels: apiKeys.allowedModels, limits: apiKeys.limits }).from(apiKeys).where(isNull(apiKeys.revokedAt)),
      this.db.select().from(teams),
      this.db.select({ id: customers.id, teamId: customers.teamId, externalId: customers.externalId }).from(customers),
      this.db.select().from(budgets),
    ]);
    const snapshot: PolicySnapshot = { keys: new Map(), teams: new Map(), customers: new Map(), budgets: new Map() };
    for (const row of keyRows) snapshot.keys.set(row.id, { name: row.name, teamId: row.teamId, allowedModels: row.allowedModels, limits: row.limits });
    for (const row of teamRows) snapshot.teams.set(row.id, { name: row.name, limits: row.limits });
    for (const row of customerRows) snapshot.customers.set(`${row.teamId ?? ''}\n${row.externalId}`, row.id);
    for (const row of budgetRows) {
      const key = `${row.scope}:${row.scopeId}`;
      const list = snapshot.budgets.get(key) ?? [];
      list.push(row);
      snapshot.budgets.set(key, list);
    }
    this.snapshot = snapshot;
  }

  /** Creates a team. A name already taken fails with the database's unique violation (23505). */
  createTeam(values: TeamValues): Promise<Team> {
    return this.written(insertTeam(this.db, values));
  }

  /**
   * Changes a team's name, limits or metadata; undefined when no team has this id. Like every
   * update here, one that sets nothing returns the row unchanged.
   */
  updateTeam(id: string, values: Partial<TeamValues>): Promise<Team | undefined> {
    if (changesNothing(values)) return getTeam(this.db, id);
    return this.written(updateTeam(this.db, id, values));
  }

  /** Deletes a team and its budgets; false when no team has this id. Its keys and customers stay. */
  deleteTeam(id: string): Promise<boolean> {
    return this.written(this.deleteWithBudgets('team', id, deleteTeam(this.db, id)));
  }

  /** Creates a customer; undefined when its external id is already taken in that team (or team-less). */
  createCustomer(values: CustomerValues): Promise<Customer | undefined> {
    return this.written(insertCustomer(this.db, values));
  }

  /** Changes a customer's name or metadata; undefined when no customer has this id. */
  updateCustomer(id: string, values: Partial<Pick<CustomerValues, 'name' | 'metadata'>>): Promise<Customer | undefined> {
    if (changesNothing(values)) return getCustomer(this.db, id);
    return this.written(updateCustomer(this.db, id, values));
  }

  /** Deletes a customer and its budgets; false when no customer has this id. */
  deleteCustomer(id: string): Promise<boolean> {
    return this.written(this.deleteWithBudgets('customer', id, deleteCustomer(this.db, id)));
  }

  /**
   * Creates a budget; undefined when its scope names no team, no customer or no active key. The
   * database is asked, not the snapshot: a key made on another instance a moment ago counts.
   */
  async createBudget(values: BudgetValues): Promise<Budget | undefined> {
    if (!(await this.scopeExists(values.scope, values.scopeId))) return undefined;
    return this.written(insertBudget(this.db, values));
  }

  /** Changes a budget's period or limit; undefined when no budget has this id. */
  updateBudget(id: string, values: Partial<Pick<BudgetValues, 'period' | 'limitMicros'>>): Promise<Budget | undefined> {
    if (changesNothing(values)) return getBudget(this.db, id);
    return this.written(updateBudget(this.db, id, values));
  }

  /** Deletes a budget; false when no budget has this id. */
  deleteBudget(id: string): Promise<boolean> {
    return this.written(deleteBudget(this.db, id));
  }

  /** Creates a virtual key. `secret` is returned here once; only its hash is stored. */
  async createKey(values: KeyValues): Promise<{ key: ApiKeySummary; secret: string }> {
    const { secret, prefix, hash } = generateApiKeySecret();
    const { secretHash: _secretHash, ...key } = await this.written(insertApiKey(this.db, { ...values, prefix, secretHash: hash }));
    return { key, secret };
  }

  /**
   * Changes a key's name, team, allowed models, limits, expiry or metadata; undefined when no key
   * has this id. The authenticator's cache of the key is the caller's to invalidate.
   */
  async updateKey(id: string, values: Partial<KeyValues>): Promise<ApiKeySummary | undefined> {
    if (changesNothing(values)) {
      const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.id, id));
      if (row === undefined) return undefined;
      const { secretHash: _secretHash, ...key } = row;
      return key;
    }
    return this.written(updateApiKey(this.db, id, values));
  }

  /** Revokes a key and deletes its budgets; false when no active key has this id. */
  revokeKey(id: string): Promise<boolean> {
    return this.written(this.deleteWithBudgets('key', id, revokeApiKey(this.db, id)));
  }

  /** Waits for a write, then, when it changed something, for this instance's snapshot to show it. */
  private async written<T>(write: Promise<T>): Promise<T> {
    const result = await write;
    if (result !== undefined && result !== false) await this.reload();
    return result;
  }

  private async deleteWithBudgets(scope: BudgetScope, id: string, removal: Promise<boolean>): Promise<boolean> {
    if (!(await removal)) return false;
    await deleteBudgetsOf(this.db, scope, id);
    return true;
  }

  private async scopeExists(scope: BudgetScope, id: string): Promise<boolean> {
    if (scope === 'team') return (await getTeam(this.db, id)) !== undefined;
    if (scope === 'customer') return (await getCustomer(this.db, id)) !== undefined;
    const [key] = await this.db.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
    return key !== undefined;
  }

  budgetsOf(scope: BudgetScope, id: string | null): Budget[] {
    return id === null ? [] : (this.snapshot.budgets.get(`${scope}:${id}`) ?? []);
  }

  /** The registered customer a request names, within the caller's team (or team-less customers). */
  customerId(teamId: string | null, externalId: string): string | undefined {
    return this.snapshot.customers.get(`${teamId ?? ''}\n${externalId}`) ?? (teamId === null ? undefined : this.snapshot.customers.get(`\n${externalId}`));
  }

  /** Whether a key or team has any rate or run limit. */
  static hasLimits(limits: CallerLimits | undefined): boolean {
    return limits !== undefined && !isEmpty(limits);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
