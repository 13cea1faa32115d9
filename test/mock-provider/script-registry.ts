import type { MockStep, WireFormat } from './mock-step.ts';

/** Answers a request from what it holds (for scripts that depend on the conversation, not on the request's order). */
export type MockResponder = (body: Record<string, unknown>, format: WireFormat) => MockStep;

const DEFAULT_STEP: MockStep = Object.freeze({});

interface Script {
  steps: MockStep[];
  position: number;
}

/** Scripts by model name; each request takes the next step, and the last one repeats. */
export class ScriptRegistry {
  readonly #scripts = new Map<string, Script>();
  readonly #responders = new Map<string, MockResponder>();

  /** Registers (or replaces, restarting at the first step) the script for `name`. */
  register(name: string, steps: MockStep[]): void {
    this.#scripts.set(name, { steps: [...steps], position: 0 });
  }

  /** Registers (or replaces) a function answering every request for `name`. */
  respond(name: string, responder: MockResponder): void {
    this.#responders.set(name, responder);
  }

  /** The step for the next request to `model`; the default step when no script matches. */
  next(model: string | null, format?: WireFormat, body?: Record<string, unknown>): MockStep {
    if (model === null) return DEFAULT_STEP;
    const responder = this.#responders.get(model);
    if (responder !== undefined && format !== undefined && body !== undefined) return responder(body, format);
    const script = this.#scripts.get(model);
    if (script === undefined || script.steps.length === 0) return DEFAULT_STEP;
    const step = script.steps[Math.min(script.position, script.steps.length - 1)] ?? DEFAULT_STEP;
    script.position += 1;
    return step;
  }

  /** Whether `model` has a script of its own. */
  has(model: string | null): boolean {
    return model !== null && (this.#scripts.has(model) || this.#responders.has(model));
  }

  names(): string[] {
    return [...this.#scripts.keys(), ...this.#responders.keys()];
  }

  clear(): void {
    this.#scripts.clear();
    this.#responders.clear();
  }
}
