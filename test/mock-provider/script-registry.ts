import type { MockStep } from './mock-step.ts';

const DEFAULT_STEP: MockStep = Object.freeze({});

interface Script {
  steps: MockStep[];
  position: number;
}

/** Scripts by model name; each request takes the next step, and the last one repeats. */
export class ScriptRegistry {
  readonly #scripts = new Map<string, Script>();

  /** Registers (or replaces, restarting at the first step) the script for `name`. */
  register(name: string, steps: MockStep[]): void {
    this.#scripts.set(name, { steps: [...steps], position: 0 });
  }

  /** The step for the next request to `model`; the default step when no script matches. */
  next(model: string | null): MockStep {
    if (model === null) return DEFAULT_STEP;
    const script = this.#scripts.get(model);
    if (script === undefined || script.steps.length === 0) return DEFAULT_STEP;
    const step = script.steps[Math.min(script.position, script.steps.length - 1)] ?? DEFAULT_STEP;
    script.position += 1;
    return step;
  }

  /** Whether `model` has a script of its own. */
  has(model: string | null): boolean {
    return model !== null && this.#scripts.has(model);
  }

  names(): string[] {
    return [...this.#scripts.keys()];
  }

  clear(): void {
    this.#scripts.clear();
  }
}
