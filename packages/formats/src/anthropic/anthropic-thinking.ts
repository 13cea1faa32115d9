import { InvalidRequestError, type ReasoningEffort } from '@gantry/spec';

/**
 * Canonical `reasoningEffort` → Anthropic extended thinking `budget_tokens`. Anthropic's floor is
 * 1024. `minimal` and `none` mean no thinking block at all.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking
 */
export const ANTHROPIC_THINKING_BUDGETS: Readonly<Record<string, number | null>> = {
  none: null,
  minimal: null,
  low: 1024,
  medium: 4096,
  high: 16384,
  xhigh: 32768,
  max: 32768,
};

/** The thinking budget for an effort, or null for no thinking. Throws 400 for a word we do not know. */
export function thinkingBudgetForEffort(effort: ReasoningEffort, provider: string): number | null {
  const budget = ANTHROPIC_THINKING_BUDGETS[effort];
  if (budget === undefined) {
    throw new InvalidRequestError(
      `provider ${provider} cannot map reasoning effort ${JSON.stringify(effort)} to a thinking budget; use one of ${Object.keys(ANTHROPIC_THINKING_BUDGETS).join(', ')}`,
      { param: 'reasoning_effort' },
    );
  }
  return budget;
}

/** The inverse, for Anthropic-format clients routed to other providers: the nearest effort at or below the budget. */
export function effortForThinkingBudget(budget: number): ReasoningEffort {
  if (budget >= 16384) return 'high';
  if (budget >= 4096) return 'medium';
  return 'low';
}

/** `budget_tokens` of an Anthropic `thinking` object when it enables extended thinking. */
export function budgetOfThinking(thinking: unknown): number | undefined {
  if (typeof thinking !== 'object' || thinking === null) return undefined;
  const { type, budget_tokens: budget } = thinking as { type?: unknown; budget_tokens?: unknown };
  return type === 'enabled' && typeof budget === 'number' ? budget : undefined;
}
