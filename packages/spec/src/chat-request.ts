/**
 * Canonical chat request: every inbound wire format decodes into this, every provider adapter
 * encodes from it. The OpenAI wire format is not the internal model.
 */

/**
 * Fields with no canonical meaning, per wire family, re-emitted only to that family:
 * `{ anthropic: { cache_control: { type: 'ephemeral' } } }`.
 */
export type ProviderOptions = Record<string, Record<string, unknown>>;

/** Plain text. */
export interface TextPart {
  type: 'text';
  text: string;
  providerOptions?: ProviderOptions;
}

/** An image given by URL: `https://…` or a `data:` URL carrying base64 bytes. */
export interface ImagePart {
  type: 'image';
  url: string;
  /** OpenAI's `detail` hint; providers without one ignore it. */
  detail?: 'auto' | 'low' | 'high';
  providerOptions?: ProviderOptions;
}

/** Audio input as base64 bytes. */
export interface AudioPart {
  type: 'audio';
  data: string;
  format: string;
}

/** A file given by uploaded id or inline base64 data. */
export interface FilePart {
  type: 'file';
  fileId?: string;
  data?: string;
  filename?: string;
  providerOptions?: ProviderOptions;
}

/** A tool call the assistant made. `arguments` is JSON text exactly as the model produced it. */
export interface ToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  arguments: string;
  providerOptions?: ProviderOptions;
}

/**
 * Reasoning ("thinking") the model exposed. `signature` is the provider's opaque token that must
 * be sent back unchanged on the next turn (Anthropic thinking signature, Gemini thought signature).
 */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  /** Provider-encrypted reasoning with no readable text (Anthropic `redacted_thinking`). */
  redactedData?: string;
}

/** The model declined to answer. */
export interface RefusalPart {
  type: 'refusal';
  text: string;
}

export type UserPart = TextPart | ImagePart | AudioPart | FilePart;
export type AssistantPart = TextPart | ReasoningPart | ToolCallPart | RefusalPart;

export interface SystemMessage {
  role: 'system' | 'developer';
  content: TextPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: UserPart[];
  name?: string;
}

export interface AssistantMessage {
  role: 'assistant';
  content: AssistantPart[];
  name?: string;
}

export interface ToolMessage {
  role: 'tool';
  toolCallId: string;
  content: TextPart[];
  /** The tool failed and `content` describes the failure (Anthropic `is_error`). */
  isError?: boolean;
  providerOptions?: ProviderOptions;
}

export type Message = SystemMessage | UserMessage | AssistantMessage | ToolMessage;

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters?: Record<string, unknown>;
  strict?: boolean;
  providerOptions?: ProviderOptions;
}

export type ToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      name: string;
      description?: string;
      schema?: Record<string, unknown>;
      strict?: boolean;
    };

export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high' | (string & {});

export interface ChatRequest {
  /** What the client addressed: an alias or `provider/model`. */
  model: string;
  messages: Message[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  /** Upper bound on generated tokens (OpenAI `max_completion_tokens` / `max_tokens`). */
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Number of choices to generate. */
  n?: number;
  reasoningEffort?: ReasoningEffort;
  /** End-user identifier (OpenAI `user`). */
  user?: string;
  stream: boolean;
  /** The client asked for the usage chunk at the end of a stream. */
  includeUsage: boolean;
  /**
   * Parameters with no canonical meaning, per wire family, passed through only to targets of that
   * family: `{ openai: { logprobs: true, logit_bias: {…} } }`. Never forwarded to other families.
   */
  providerOptions?: ProviderOptions;
}
