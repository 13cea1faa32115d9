export interface EmbeddingRequest {
  /** What the client addressed: an alias or `provider/model`. */
  model: string;
  /** One text or several; token arrays are passed through to providers that accept them. */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  encodingFormat?: 'float' | 'base64';
  user?: string;
}

export interface EmbeddingResult {
  model: string;
  /** One vector per input, in input order; base64 strings when `encodingFormat` was `base64`. */
  embeddings: (number[] | string)[];
  usage: { inputTokens: number };
}
