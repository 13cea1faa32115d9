import { isNull } from 'drizzle-orm';
import { apiKeys, budgets, customers, teams, type Budget, type BudgetScope, type CallerLimits, type GantryDb } from '@gantry/db';

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

function isEmpty(limits: CallerLimits): boolean {
  return limits.rpm === undefined && limits.tpm === undefined && limits.maxParallel === undefined && limits.run === undefined;
}

/**
 * Keys' limits, teams, customers and budgets, reloaded every `refreshMs` and at once after an admin
 * change on this instance. Lets a call to which no limit applies skip the ledger entirely.
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
   * Loads everything (once at start, and after every admin change). A load already running may have
   * read before the change: this one starts after it, so it sees the change.
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
