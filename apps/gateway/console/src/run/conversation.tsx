import type { AssistantPart, Message, ToolDefinition } from '@gantry/spec';
import { prettyJson } from '../format.ts';

type Part = { type: string; text?: string; name?: string; id?: string; arguments?: string; mediaType?: string; url?: string };

/** A tool call as a person reads it: the tool's name, its call id, and its arguments as indented JSON. */
export function ToolCallView({ name, id, args }: { name: string; id?: string | undefined; args: string }) {
  return (
    <div class="tool-call">
      <div class="tool-call-head">
        <span class="kind-chip kind-tool">tool call</span> <code>{name}</code>
        {id === undefined ? null : <span class="muted"> · {id}</span>}
      </div>
      <pre class="tool-args">{prettyJson(args)}</pre>
    </div>
  );
}

function PartView({ part }: { part: Part }) {
  switch (part.type) {
    case 'text':
      return <div class="text">{part.text}</div>;
    case 'reasoning':
      return (
        <details class="reasoning">
          <summary>reasoning</summary>
          <div class="text">{part.text}</div>
        </details>
      );
    case 'refusal':
      return <div class="text bad">refused: {part.text}</div>;
    case 'tool-call':
      return <ToolCallView name={part.name ?? '?'} id={part.id} args={part.arguments ?? ''} />;
    case 'image':
      return <div class="muted">[image{part.mediaType === undefined ? '' : ` ${part.mediaType}`}]</div>;
    default:
      return <div class="muted">[{part.type}]</div>;
  }
}

function MessageView({ message }: { message: Message }) {
  const parts = message.content as Part[];
  const label = message.role === 'tool' ? `tool result · ${message.toolCallId}` : message.role;
  return (
    <div class={`message role-${message.role}`}>
      <div class="message-role">{label}{message.role === 'tool' && message.isError === true ? ' (error)' : ''}</div>
      {parts.map((part, index) => (
        <PartView key={index} part={part} />
      ))}
    </div>
  );
}

/** The messages an llm call sent and the answer it got, as a conversation. */
export function Conversation({ messages, answer, tools }: { messages: Message[]; answer: AssistantPart[] | undefined; tools: ToolDefinition[] | undefined }) {
  return (
    <div class="conversation">
      {tools === undefined || tools.length === 0 ? null : (
        <div class="muted tools-offered">
          tools offered: {tools.map((tool) => tool.name).join(', ')}
        </div>
      )}
      {messages.map((message, index) => (
        <MessageView key={index} message={message} />
      ))}
      {answer === undefined ? null : <MessageView message={{ role: 'assistant', content: answer }} />}
    </div>
  );
}
