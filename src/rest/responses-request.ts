import type { ChatInput, ChatMessageInput, ToolInput } from '../chat/validate.ts';
import { badInput } from '../core/errors.ts';
import type { WireRequest } from './wire-call.ts';
import { absent, type Json, isObject } from './json.ts';

/**
 * OpenAI's Responses API request (`POST /v1/responses`) → the chat core's ChatInput. Only translation lives
 * here; every rule about what is valid (roles, sizes, tool ids, numbers) stays in chat/validate.ts, so this
 * face refuses what REST chat and GraphQL refuse, with the same row. Shapes: OpenAI's OpenAPI description,
 * `CreateResponse` and the `InputItem` union (openai/openai-openapi, openapi.json 2.3.0).
 */

export interface ResponsesRequest extends WireRequest {
  /** Echoed into the response object, as OpenAI does. */
  echo: {
    instructions: string | null;
    maxOutputTokens: number | null;
    temperature: number | null;
    topP: number | null;
    tools: Json[];
    toolChoice: unknown;
    textFormat: Json;
    metadata: Json;
    user: string | null;
  };
}

/** ChatInput's field names → this body's, for error messages and `param`. */
export const RESPONSES_FIELDS: Readonly<Record<string, string>> = {
  maxTokens: 'max_output_tokens',
  topP: 'top_p',
  messages: 'input',
  responseFormat: 'text.format',
  toolChoice: 'tool_choice',
};

const ROLES: Record<string, ChatMessageInput['role']> = { system: 'SYSTEM', developer: 'SYSTEM', user: 'USER', assistant: 'ASSISTANT' };

/** Fields the gateway cannot honour: refused by name rather than silently ignored. */
const STATEFUL: Record<string, string> = {
  previous_response_id:
    'previous_response_id is not supported: this gateway does not store responses. Send the whole conversation in input (the Vercel AI SDK does so by default)',
  conversation: 'conversation is not supported: this gateway does not store conversations. Send the whole conversation in input',
  prompt: 'prompt (stored prompt templates) is not supported: send instructions and input instead',
};

/** `"text"` or `[{type: "input_text" | "output_text", text}]` (joined by newlines). */
function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badInput(`${at} must be a string or a list of text parts`, at);
  return content
    .map((part: unknown, j) => {
      if (isObject(part) && (part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string') return part.text;
      const type = isObject(part) ? JSON.stringify(part.type) : 'a non-object';
      throw badInput(`${at}[${j}]: only input_text and output_text parts are supported (got ${type})`, `${at}[${j}]`);
    })
    .join('\n');
}

/** The text of one of the gateway's own earlier message items, by id; undefined when it is not known. */
export type ItemLookup = (itemId: string) => string | undefined;

/** The `input` list → chat messages: consecutive function_call items join the assistant turn they belong to. */
function messagesOf(input: unknown, lookup: ItemLookup): ChatMessageInput[] {
  if (typeof input === 'string') return [{ role: 'USER', content: input }];
  if (!Array.isArray(input)) throw badInput('input must be a string or a list of input items', 'input');
  const messages: ChatMessageInput[] = [];
  input.forEach((item: unknown, i) => {
    const at = `input[${i}]`;
    if (!isObject(item)) throw badInput(`${at} must be an object`, at);
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = typeof item.role === 'string' ? ROLES[item.role] : undefined;
      if (!role) throw badInput(`${at}.role must be one of user, assistant, system, developer`, `${at}.role`);
      messages.push({ role, content: textOf(item.content, `${at}.content`) });
    } else if (type === 'function_call') {
      const call = { id: item.call_id as string, type: 'FUNCTION' as const, function: { name: item.name as string, arguments: item.arguments as string } };
      const last = messages.at(-1);
      if (last?.role === 'ASSISTANT') last.toolCalls = [...(last.toolCalls ?? []), call];
      else messages.push({ role: 'ASSISTANT', content: null, toolCalls: [call] });
    } else if (type === 'function_call_output') {
      messages.push({ role: 'TOOL', content: textOf(item.output, `${at}.output`), toolCallId: item.call_id as string });
    } else if (type === 'reasoning') {
      // Together's chat API takes no earlier reasoning: a client sending it back loses nothing by its omission.
    } else if (type === 'item_reference') {
      // The Vercel AI SDK refers to earlier items by id (it assumes OpenAI stored them). Reasoning is skipped
      // as above; the gateway's own message items are recalled (rest/response-items.ts); nothing else can be.
      if (typeof item.id === 'string' && item.id.startsWith('rs_')) return;
      const text = typeof item.id === 'string' ? lookup(item.id) : undefined;
      if (text === undefined) {
        throw badInput(
          `${at}: item_reference ${JSON.stringify(item.id)} cannot be resolved: this gateway stores no responses (it recalls its own recent message items only, on the replica that answered). Send the item itself (Vercel AI SDK: providerOptions.openai.store = false)`,
          at,
        );
      }
      messages.push({ role: 'ASSISTANT', content: text });
    } else {
      throw badInput(`${at}.type ${JSON.stringify(type)} is not supported: use message, function_call, function_call_output or reasoning items`, `${at}.type`);
    }
  });
  return messages;
}

/** Responses' flat `{type: "function", name, parameters, strict, description}` → the chat tool shape. */
function toolsOf(tools: unknown): ToolInput[] | undefined {
  if (absent(tools)) return undefined;
  if (!Array.isArray(tools)) throw badInput('tools must be a list', 'tools');
  return tools.map((t: unknown, i) => {
    if (!isObject(t) || t.type !== 'function') {
      const type = isObject(t) ? JSON.stringify(t.type) : 'a non-object';
      throw badInput(`tools[${i}]: only function tools are supported (got ${type}); hosted tools run at OpenAI, not at Together`, `tools[${i}].type`);
    }
    return { type: 'FUNCTION', function: { name: t.name as string, description: t.description as string, parameters: t.parameters as Json, strict: t.strict as boolean } };
  });
}

/** `"none" | "auto" | "required"` or `{type: "function", name}`. */
function toolChoiceOf(choice: unknown): ChatInput['toolChoice'] {
  if (absent(choice)) return undefined;
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { mode: choice.toUpperCase() as 'NONE' | 'AUTO' | 'REQUIRED' };
  if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') return { functionName: choice.name };
  throw badInput('tool_choice must be "none", "auto", "required" or {"type": "function", "name": …}', 'tool_choice');
}

/** `text.format`: `{type: "text"}`, `{type: "json_object"}` or `{type: "json_schema", name, schema, strict}`. */
function formatOf(text: unknown): { format: Json; input: ChatInput['responseFormat'] } {
  if (absent(text)) return { format: { type: 'text' }, input: undefined };
  if (!isObject(text)) throw badInput('text must be an object', 'text');
  const format = text.format;
  if (absent(format)) return { format: { type: 'text' }, input: undefined };
  if (!isObject(format) || typeof format.type !== 'string') throw badInput('text.format must be {"type": "text" | "json_object" | "json_schema", …}', 'text.format');
  if (format.type === 'text') return { format, input: { type: 'TEXT' } };
  if (format.type === 'json_object') return { format, input: { type: 'JSON_OBJECT' } };
  if (format.type === 'json_schema') {
    return { format, input: { type: 'JSON_SCHEMA', name: format.name as string, schema: format.schema as Json, strict: format.strict as boolean } };
  }
  throw badInput(`text.format.type must be text, json_object or json_schema (got ${JSON.stringify(format.type)})`, 'text.format.type');
}

/** A JSON body → ChatInput. Unknown fields are ignored; wrong types go on to validation, which names them. */
export function fromResponsesRequest(body: unknown, lookup: ItemLookup = () => undefined): ResponsesRequest {
  if (!isObject(body)) throw badInput('The request body must be a JSON object');
  for (const [field, message] of Object.entries(STATEFUL)) if (!absent(body[field])) throw badInput(message, field);
  if (body.background === true) throw badInput('background is not supported: responses are not stored, so they cannot be polled', 'background');
  if (!absent(body.stream) && typeof body.stream !== 'boolean') throw badInput('stream must be a boolean', 'stream');
  if (absent(body.input)) throw badInput('input is required', 'input');
  if (!absent(body.instructions) && typeof body.instructions !== 'string') throw badInput('instructions must be a string', 'instructions');
  const instructions = typeof body.instructions === 'string' && body.instructions !== '' ? body.instructions : null;
  const messages = messagesOf(body.input, lookup);
  if (instructions !== null) messages.unshift({ role: 'SYSTEM', content: instructions });
  const tools = toolsOf(body.tools);
  const { format, input: responseFormat } = formatOf(body.text);
  const user = typeof body.user === 'string' ? body.user : typeof body.safety_identifier === 'string' ? body.safety_identifier : undefined;
  const input = {
    model: body.model,
    provider: body.provider,
    messages,
    maxTokens: body.max_output_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    tools,
    toolChoice: toolChoiceOf(body.tool_choice),
    responseFormat,
    user,
  } as ChatInput;
  const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return {
    input,
    stream: body.stream === true,
    echo: {
      instructions,
      maxOutputTokens: num(body.max_output_tokens),
      temperature: num(body.temperature),
      topP: num(body.top_p),
      // As OpenAI echoes them: every FunctionTool field present, null when not given.
      tools: (tools ?? []).map((t) => ({
        type: 'function',
        name: t.function.name,
        description: t.function.description ?? null,
        parameters: t.function.parameters ?? null,
        strict: t.function.strict ?? null,
      })),
      toolChoice: body.tool_choice ?? 'auto',
      textFormat: format,
      metadata: isObject(body.metadata) ? body.metadata : {},
      user: user ?? null,
    },
  };
}
