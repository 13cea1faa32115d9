import { BUILT_IN_PRICES, familyOfProviderType, MODEL_CATALOGUE } from '@gantry/providers';
import type { ModelAlias, TargetSpec } from '@gantry/router';

/** The label value every provider or model name outside the configured set is counted under. */
export const OTHER_LABEL = 'other';

/** What the label sets are made of: the gateway's configuration, never what clients send. */
export interface MetricLabelSources {
  /** Configured providers: name and type (the type's model family names its known models). */
  providers: Iterable<{ name: string; type: string }>;
  /** Aliases from `models:`, with their targets and fallbacks. */
  aliases: Readonly<Record<string, ModelAlias>>;
  /** Keys of `pricing:` (`provider/model`). */
  pricedModels: Iterable<string>;
}

function refOf(target: string | TargetSpec): string {
  return typeof target === 'string' ? target : target.ref;
}

/**
 * Bounds the label values of provider and model names. Any client may send any model name
 * (`local/<anything>`, an unknown alias), and each distinct label value is a series kept until the
 * process exits: labelled as sent, 20 000 names made /metrics 8.8 MB. Only configured providers,
 * the models the configuration names (alias targets and fallbacks, `pricing:` keys), the model
 * catalogue's names for a provider's family, and alias names are kept; everything else is `other`.
 */
export class MetricLabels {
  private readonly providers = new Set<string>();
  /** Model names per configured provider. */
  private readonly models = new Map<string, Set<string>>();
  /** Alias names and configured `provider/model` references: what a call names before it reaches a provider. */
  private readonly addressed = new Set<string>();

  constructor(sources: MetricLabelSources) {
    for (const provider of sources.providers) {
      this.providers.add(provider.name);
      const known = new Set<string>();
      const family = familyOfProviderType(provider.type);
      if (family !== undefined) {
        for (const model of MODEL_CATALOGUE[family].models) known.add(model);
        for (const model of Object.keys(BUILT_IN_PRICES[family])) known.add(model);
      }
      this.models.set(provider.name, known);
    }
    const references = [...sources.pricedModels];
    for (const [name, alias] of Object.entries(sources.aliases)) {
      this.addressed.add(name);
      references.push(...alias.targets.map(refOf));
      if (alias.contextWindowFallback !== undefined) references.push(alias.contextWindowFallback);
      if (alias.contentPolicyFallback !== undefined) references.push(alias.contentPolicyFallback);
    }
    for (const reference of references) {
      const slash = reference.indexOf('/');
      if (slash < 0) continue;
      this.addressed.add(reference);
      this.models.get(reference.slice(0, slash))?.add(reference.slice(slash + 1));
    }
  }

  /** A configured provider's name, `none` as given (no provider was reached), else `other`. */
  provider(name: string): string {
    return name === 'none' || this.providers.has(name) ? name : OTHER_LABEL;
  }

  /**
   * `model` when the configuration knows it for `provider` (or it is an alias or a configured
   * `provider/model`, as a call that reached no provider is labelled), `unknown` as given, else `other`.
   */
  model(provider: string, model: string): string {
    if (model === 'unknown' || this.models.get(provider)?.has(model) === true || this.addressed.has(model)) return model;
    return OTHER_LABEL;
  }
}
