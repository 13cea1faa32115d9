import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { findModelFamily, MODEL_CATALOGUE, type ModelCatalogue, type ModelFamily, type Provider } from '@gantry/providers';
import type { ModelAlias, TargetSpec } from './routing-options.ts';
import type { Target } from './target.ts';

/** What a model name resolves to: its targets, and the alias (with its routing settings) if it is one. */
export interface Route {
  targets: Target[];
  alias?: { name: string; settings: ModelAlias; contextWindowFallback?: Target; contentPolicyFallback?: Target };
}

function specOf(target: string | TargetSpec): TargetSpec {
  return typeof target === 'string' ? { ref: target } : target;
}

/**
 * Maps what a client addresses to targets: an alias (`fast`), `provider/model` (`local/llama3`;
 * the model part may itself contain slashes), or a bare model name the model catalogue places in
 * a configured provider's family (`gpt-4o-mini` → the first `openai` or `azure-openai` provider),
 * so apps switch by base URL alone. Prices play no part: a bare name resolves or not whether or
 * not it is priced.
 */
export class ModelResolver {
  private readonly cache = new Map<string, Route>();

  constructor(
    private readonly providers: ReadonlyMap<string, Provider>,
    private readonly aliases: Readonly<Record<string, ModelAlias>>,
    /** Which bare model names exist, per family; the built-in catalogue unless a test passes its own. */
    private readonly catalogue: ModelCatalogue = MODEL_CATALOGUE,
  ) {}

  resolve(model: string): Target[] {
    return this.route(model).targets;
  }

  /** The targets of `model` and, for an alias, its routing settings. */
  route(model: string): Route {
    let route = this.cache.get(model);
    if (route === undefined) {
      route = this.routeUncached(model);
      if (this.cache.size < 10_000) this.cache.set(model, route);
    }
    return route;
  }

  /** Every alias with its settings, for `GET /admin/targets`. */
  listAliases(): [string, ModelAlias][] {
    return Object.entries(this.aliases);
  }

  /** Every addressable name: aliases, then `provider/model` for models that appear in alias targets. */
  listModels(): { id: string; ownedBy: string }[] {
    const seen = new Set<string>();
    const out: { id: string; ownedBy: string }[] = [];
    for (const alias of Object.keys(this.aliases)) {
      seen.add(alias);
      out.push({ id: alias, ownedBy: 'gantry' });
    }
    for (const alias of Object.values(this.aliases)) {
      for (const reference of alias.targets.map((target) => specOf(target).ref)) {
        if (seen.has(reference)) continue;
        seen.add(reference);
        out.push({ id: reference, ownedBy: reference.slice(0, reference.indexOf('/')) });
      }
    }
    return out;
  }

  private routeUncached(model: string): Route {
    const alias = this.aliases[model];
    if (alias !== undefined) {
      const targets = alias.targets.map((target) => {
        const spec = specOf(target);
        return {
          ...this.direct(spec.ref, model),
          ...(spec.weight === undefined ? {} : { weight: spec.weight }),
          ...(spec.timeoutMs === undefined ? {} : { timeoutMs: spec.timeoutMs }),
          ...(spec.firstTokenTimeoutMs === undefined ? {} : { firstTokenTimeoutMs: spec.firstTokenTimeoutMs }),
        };
      });
      return {
        targets,
        alias: {
          name: model,
          settings: alias,
          ...(alias.contextWindowFallback === undefined ? {} : { contextWindowFallback: this.direct(alias.contextWindowFallback, model) }),
          ...(alias.contentPolicyFallback === undefined ? {} : { contentPolicyFallback: this.direct(alias.contentPolicyFallback, model) }),
        },
      };
    }
    if (model.includes('/')) return { targets: [this.direct(model, model)] };
    const family = findModelFamily(model, this.catalogue);
    const bare = family === undefined ? undefined : this.bare(model, family);
    if (bare !== undefined) return { targets: [bare] };
    const providers = [...this.providers.keys()];
    const aliases = Object.keys(this.aliases);
    throw new NotFoundError(
      (family === undefined
        ? `unknown model '${model}'`
        : `model '${model}' belongs to the ${family} family, and no provider of type ${this.catalogue[family].providerTypes.join(' or ')} is configured`) +
        ': address a model as provider/model' +
        (providers.length > 0 ? ` (configured providers: ${providers.join(', ')})` : ' (no providers are configured)') +
        (aliases.length > 0 ? ` or use an alias (${aliases.join(', ')})` : ''),
    );
  }

  private direct(reference: string, asked: string): Target {
    const slash = reference.indexOf('/');
    const providerName = slash < 0 ? reference : reference.slice(0, slash);
    const providerModel = slash < 0 ? '' : reference.slice(slash + 1);
    const provider = this.providers.get(providerName);
    if (provider === undefined) {
      throw new InvalidRequestError(
        `unknown provider '${providerName}' in model '${asked}'; configured providers: ${[...this.providers.keys()].join(', ') || 'none'}`,
        { param: 'model' },
      );
    }
    if (providerModel === '') {
      throw new InvalidRequestError(`model '${asked}' names no model after '${providerName}/'; use ${providerName}/<model>`, { param: 'model' });
    }
    return { provider, model: providerModel, id: `${providerName}/${providerModel}` };
  }

  /** The first configured provider (in config order) serving `family`, with `model` as it was named. */
  private bare(model: string, family: ModelFamily): Target | undefined {
    const types: readonly string[] = this.catalogue[family].providerTypes;
    for (const provider of this.providers.values()) {
      if (types.includes(provider.type)) return { provider, model, id: `${provider.name}/${model}` };
    }
    return undefined;
  }
}
