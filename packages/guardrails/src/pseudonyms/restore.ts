/**
 * Puts values back where placeholders stand in an answer. Text gets the value itself; JSON text
 * (tool-call arguments) gets it JSON-escaped, so the arguments stay valid JSON.
 */
export class Restorer {
  readonly #values: ReadonlyMap<string, string>;
  /** Longest first, so a placeholder that is a prefix of another never wins over it. */
  readonly #placeholders: readonly string[];
  /** Compiled on first use: most answers of a call hold no placeholder, and a new RegExp is compiled per call. */
  #compiledPattern: RegExp | undefined;
  /** Every proper prefix of every placeholder: what a stream's tail may still grow into (built for streams only). */
  #prefixSet: Set<string> | undefined;
  readonly maxLength: number;

  constructor(values: ReadonlyMap<string, string>) {
    this.#values = values;
    this.#placeholders = [...values.keys()].sort((a, b) => b.length - a.length);
    this.maxLength = this.#placeholders[0]?.length ?? 0;
  }

  /** How many placeholders this restorer knows (those of its map when it was made). */
  get placeholderCount(): number {
    return this.#placeholders.length;
  }

  text(text: string): string {
    if (!this.#mayHold(text)) return text;
    const pattern = this.#pattern();
    pattern.lastIndex = 0;
    return text.replace(pattern, (placeholder) => this.#values.get(placeholder)!);
  }

  json(text: string): string {
    if (!this.#mayHold(text)) return text;
    const pattern = this.#pattern();
    pattern.lastIndex = 0;
    return text.replace(pattern, (placeholder) => JSON.stringify(this.#values.get(placeholder)!).slice(1, -1));
  }

  /** A restorer for one streamed channel (a choice's text, a tool call's arguments). */
  stream(kind: 'text' | 'json'): StreamRestorer {
    return new StreamRestorer(this, kind);
  }

  /** Where the unsettled tail of `buffer` starts: it may still become a placeholder. */
  settledLength(buffer: string): number {
    const prefixes = this.#prefixes();
    let cut = buffer.length;
    for (let start = Math.max(0, buffer.length - this.maxLength + 1); start < buffer.length; start++) {
      if (prefixes.has(buffer.slice(start))) {
        cut = start;
        break;
      }
    }
    if (cut === buffer.length) return cut;
    // Never cut through a whole placeholder before the tail: hold it back too.
    const pattern = this.#pattern();
    pattern.lastIndex = 0;
    for (const match of buffer.matchAll(pattern)) {
      if (match.index >= cut) break;
      if (match.index + match[0].length > cut) return match.index;
    }
    return cut;
  }

  /** False when `text` surely holds no placeholder: with a few placeholders, `includes` each is cheaper than the pattern. */
  #mayHold(text: string): boolean {
    if (this.#placeholders.length > FEW_PLACEHOLDERS) return true;
    for (const placeholder of this.#placeholders) if (text.includes(placeholder)) return true;
    return false;
  }

  #pattern(): RegExp {
    return (this.#compiledPattern ??= new RegExp(this.#placeholders.map((text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g'));
  }

  #prefixes(): Set<string> {
    if (this.#prefixSet === undefined) {
      this.#prefixSet = new Set<string>();
      for (const text of this.#placeholders) for (let end = 1; end < text.length; end++) this.#prefixSet.add(text.slice(0, end));
    }
    return this.#prefixSet;
  }
}

/** Up to this many placeholders, a text is checked with `includes` before the pattern is compiled or run. */
const FEW_PLACEHOLDERS = 16;

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
