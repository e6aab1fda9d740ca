import type { IncomingMessage } from 'node:http';
import type { ChatInput, ChatMessageInput, ToolCallInput, ToolInput } from '../chat/validate.ts';
import { badInput } from '../core/errors.ts';
import type { WireRequest } from './wire-call.ts';
import { absent, type Json, isObject } from './json.ts';

/**
 * Anthropic's Messages API request (`POST /v1/messages`) → the chat core's ChatInput. Only translation lives
 * here; what is valid (sizes, tool ids, numbers) is decided by chat/validate.ts, as for every face. Shapes:
 * Anthropic's Messages API reference (`MessageCreateParams`, content blocks), as typed by `@anthropic-ai/sdk`.
 */

export type MessagesRequest = WireRequest;

/** ChatInput's field names → this body's, for error messages. */
export const MESSAGES_FIELDS: Readonly<Record<string, string>> = {
  maxTokens: 'max_tokens',
  topP: 'top_p',
  stop: 'stop_sequences',
  toolChoice: 'tool_choice',
};

/** Anthropic clients send the key as `x-api-key`; `Authorization: Bearer` (the SDK's `authToken`) works too. */
export function messagesAuthorization(req: IncomingMessage): unknown {
  const apiKey = req.headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey !== '' ? `Bearer ${apiKey}` : req.headers.authorization;
}

const typeName = (block: unknown): string => (isObject(block) ? JSON.stringify(block.type) : 'a non-object');

/** A string, or text blocks joined by newlines (`system`, tool results). */
function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badInput(`${at} must be a string or a list of text blocks`, at);
  return content
    .map((block: unknown, j) => {
      if (isObject(block) && block.type === 'text' && typeof block.text === 'string') return block.text;
      throw badInput(`${at}[${j}]: only text blocks are supported here (got ${typeName(block)})`, `${at}[${j}]`);
    })
    .join('\n');
}

/** A user turn: its tool_result blocks become tool messages (first, as the tool calls' answers), its text one user message. */
function userTurn(content: unknown, at: string): ChatMessageInput[] {
  if (typeof content === 'string') return [{ role: 'USER', content }];
  if (!Array.isArray(content)) throw badInput(`${at} must be a string or a list of content blocks`, at);
  const results: ChatMessageInput[] = [];
  const texts: string[] = [];
  content.forEach((block: unknown, j) => {
    const where = `${at}[${j}]`;
    if (isObject(block) && block.type === 'text') texts.push(block.text as string);
    else if (isObject(block) && block.type === 'tool_result') {
      const output = absent(block.content) ? '' : textOf(block.content, `${where}.content`);
      // The chat format has no error flag on a tool message: the model is told in the text itself.
      results.push({ role: 'TOOL', content: block.is_error === true ? `Error: ${output}` : output, toolCallId: block.tool_use_id as string });
    } else {
      throw badInput(`${where}: only text and tool_result blocks are supported in user turns (got ${typeName(block)})`, where);
    }
  });
  return texts.length > 0 ? [...results, { role: 'USER', content: texts.join('\n') }] : results;
}

/** An assistant turn: text blocks joined, tool_use blocks as tool calls, thinking dropped (Together takes none back). */
function assistantTurn(content: unknown, at: string): ChatMessageInput {
  if (typeof content === 'string') return { role: 'ASSISTANT', content };
  if (!Array.isArray(content)) throw badInput(`${at} must be a string or a list of content blocks`, at);
  const texts: string[] = [];
  const calls: ToolCallInput[] = [];
  content.forEach((block: unknown, j) => {
    const where = `${at}[${j}]`;
    if (isObject(block) && block.type === 'text') texts.push(block.text as string);
    else if (isObject(block) && block.type === 'tool_use') {
      calls.push({ id: block.id as string, type: 'FUNCTION', function: { name: block.name as string, arguments: JSON.stringify(block.input ?? {}) } });
    } else if (!(isObject(block) && (block.type === 'thinking' || block.type === 'redacted_thinking'))) {
      throw badInput(`${where}: only text, tool_use and thinking blocks are supported in assistant turns (got ${typeName(block)})`, where);
    }
  });
  return calls.length > 0 ? { role: 'ASSISTANT', content: texts.length > 0 ? texts.join('\n') : null, toolCalls: calls } : { role: 'ASSISTANT', content: texts.join('\n') };
}

function messagesOf(system: unknown, messages: unknown): ChatMessageInput[] {
  if (!Array.isArray(messages) || messages.length === 0) throw badInput('messages must be a non-empty list', 'messages');
  const out: ChatMessageInput[] = [];
  if (!absent(system)) {
    const text = textOf(system, 'system');
    if (text !== '') out.push({ role: 'SYSTEM', content: text });
  }
  messages.forEach((m: unknown, i) => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw badInput(`${at} must be an object`, at);
    if (m.role === 'user') out.push(...userTurn(m.content, `${at}.content`));
    else if (m.role === 'assistant') out.push(assistantTurn(m.content, `${at}.content`));
    else throw badInput(`${at}.role must be user or assistant (the system prompt is the top-level system field)`, `${at}.role`);
  });
  return out;
}

/** Client tools `{name, description, input_schema}`; Anthropic's server tools run at Anthropic, not at Together. */
function toolsOf(tools: unknown): ToolInput[] | undefined {
  if (absent(tools)) return undefined;
  if (!Array.isArray(tools)) throw badInput('tools must be a list', 'tools');
  return tools.map((t: unknown, i) => {
    if (!isObject(t) || !(absent(t.type) || t.type === 'custom')) {
      throw badInput(`tools[${i}]: only client tools ({name, description, input_schema}) are supported (got type ${typeName(t)})`, `tools[${i}].type`);
    }
    return { type: 'FUNCTION', function: { name: t.name as string, description: t.description as string, parameters: t.input_schema as Json } };
  });
}

/** `{type: "auto" | "any" | "tool" | "none", name?}`. */
function toolChoiceOf(choice: unknown): ChatInput['toolChoice'] {
  if (absent(choice)) return undefined;
  if (isObject(choice)) {
    if (choice.type === 'auto') return { mode: 'AUTO' };
    if (choice.type === 'any') return { mode: 'REQUIRED' };
    if (choice.type === 'none') return { mode: 'NONE' };
    if (choice.type === 'tool' && typeof choice.name === 'string') return { functionName: choice.name };
  }
  throw badInput('tool_choice must be {"type": "auto" | "any" | "none"} or {"type": "tool", "name": …}', 'tool_choice');
}

/** A JSON body → ChatInput. Unknown fields are ignored; wrong types go on to validation, which names them. */
export function fromMessagesRequest(body: unknown): MessagesRequest {
  if (!isObject(body)) throw badInput('The request body must be a JSON object');
  if (!absent(body.stream) && typeof body.stream !== 'boolean') throw badInput('stream must be a boolean', 'stream');
  // Required by Anthropic's API, so clients written for it always send it.
  if (absent(body.max_tokens)) throw badInput('max_tokens is required', 'max_tokens');
  if (!absent(body.stop_sequences) && !Array.isArray(body.stop_sequences)) throw badInput('stop_sequences must be a list of strings', 'stop_sequences');
  const metadata = isObject(body.metadata) ? body.metadata : {};
  const input = {
    model: body.model,
    provider: body.provider,
    messages: messagesOf(body.system, body.messages),
    maxTokens: body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    stop: body.stop_sequences,
    tools: toolsOf(body.tools),
    toolChoice: toolChoiceOf(body.tool_choice),
    user: typeof metadata.user_id === 'string' ? metadata.user_id : undefined,
  } as ChatInput;
  return { input, stream: body.stream === true };
}
