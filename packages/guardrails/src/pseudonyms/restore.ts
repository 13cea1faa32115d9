/**
 * Puts values back where placeholders stand in an answer. Text gets the value itself; JSON text
 * (tool-call arguments) gets it JSON-escaped, so the arguments stay valid JSON.
 */
export class Restorer {
  readonly #values: ReadonlyMap<string, string>;
  readonly #pattern: RegExp;
  /** Every proper prefix of every placeholder: what a stream's tail may still grow into. */
  readonly #prefixes = new Set<string>();
  readonly maxLength: number;

  constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
    // Longest first, so a placeholder that is a prefix of another never wins over it.
    const placeholders = [...values.keys()].sort((a, b) => b.length - a.length);
    this.#pattern = new RegExp(placeholders.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    this.maxLength = placeholders[0]?.length ?? 0;
    for (const text of placeholders) for (let end = 1; end < text.length; end++) this.#prefixes.add(text.slice(0, end));
  }

  text(text: string): string {
    this.#pattern.lastIndex = 0;
    return text.replace(this.#pattern, (placeholder) => this.#values.get(placeholder)!);
  }

  json(text: string): string {
    this.#pattern.lastIndex = 0;
    return text.replace(this.#pattern, (placeholder) => JSON.stringify(this.#values.get(placeholder)!).slice(1, -1));
  }

  /** A restorer for one streamed channel (a choice's text, a tool call's arguments). */
  stream(kind: 'text' | 'json'): StreamRestorer {
    return new StreamRestorer(this, kind);
  }

  /** Where the unsettled tail of `buffer` starts: it may still become a placeholder. */
  settledLength(buffer: string): number {
    let cut = buffer.length;
    for (let start = Math.max(0, buffer.length - this.maxLength + 1); start < buffer.length; start++) {
      if (this.#prefixes.has(buffer.slice(start))) {
        cut = start;
        break;
      }
    }
    if (cut === buffer.length) return cut;
    // Never cut through a whole placeholder before the tail: hold it back too.
    this.#pattern.lastIndex = 0;
    for (const match of buffer.matchAll(this.#pattern)) {
      if (match.index >= cut) break;
      if (match.index + match[0].length > cut) return match.index;
    }
    return cut;
  }
}

/**
 * Restores a stream of deltas in which a placeholder may be split across chunks: holds back only
 * a tail that could still become a placeholder (at most one placeholder's length), and lets the
 * rest through at once.
 */
export class StreamRestorer {
  #buffer = '';

  constructor(
    private readonly restorer: Restorer,
    private readonly kind: 'text' | 'json',
  ) {}

  /** What can be sent for this delta (possibly empty). */
  push(delta: string): string {
    const buffer = this.#buffer + delta;
    const settled = this.restorer.settledLength(buffer);
    this.#buffer = buffer.slice(settled);
    return this.#restore(buffer.slice(0, settled));
  }

  /** What was held back, at the end of the channel. */
  flush(): string {
    const rest = this.#buffer;
    this.#buffer = '';
    return this.#restore(rest);
  }

  #restore(text: string): string {
    if (text.length === 0) return text;
    return this.kind === 'json' ? this.restorer.json(text) : this.restorer.text(text);
  }
}
