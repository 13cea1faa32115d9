/** How promptfoo (or `runSuite`) constructs a provider: `new Provider({ id, label, config })`. */
export interface ProviderConstructorOptions<Config> {
  id?: string;
  label?: string;
  config?: Config;
  /** Overrides of `process.env` for unset settings (promptfoo passes a suite's `env` block here). */
  env?: NodeJS.ProcessEnv;
}

/** A setting that is set and not blank, else undefined. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
