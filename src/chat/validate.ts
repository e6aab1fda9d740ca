import type { ChatMessage, ChatRequest, ChatRole, ResponseFormat, ToolCall, ToolChoice, ToolDefinition } from '../domain.ts';
import { badInput } from '../core/errors.ts';
import { MAX_MODEL_ID_CHARS, modelIdProblem } from '../usage/activity.ts';

type Opt<T> = T | null | undefined;

/** A JSON Schema object: JSON text (GraphQL) or an already-parsed object (REST bodies). */
export type JsonObjectInput = string | Record<string, unknown>;

export interface ToolCallInput {
  id: string;
  type?: Opt<'FUNCTION'>;
  function: { name: string; arguments: string };
}

export interface ChatMessageInput {
  role: ChatRole;
  /** Null/absent only for an ASSISTANT message with toolCalls (OpenAI's `content: null`). */
  content: Opt<string>;
  name?: Opt<string>;
  toolCalls?: Opt<ToolCallInput[]>;
  toolCallId?: Opt<string>;
}

export interface ToolInput {
  type?: Opt<'FUNCTION'>;
  function: { name: string; description?: Opt<string>; parameters?: Opt<JsonObjectInput>; strict?: Opt<boolean> };
}

/** Exactly one of the two: REST maps `"auto"` to `{mode: 'AUTO'}` and `{function: {name}}` to `{functionName}`. */
export interface ToolChoiceInput {
  mode?: Opt<'NONE' | 'AUTO' | 'REQUIRED'>;
  functionName?: Opt<string>;
}

export interface ResponseFormatInput {
  type: 'TEXT' | 'JSON_OBJECT' | 'JSON_SCHEMA';
  schema?: Opt<JsonObjectInput>;
  name?: Opt<string>;
  strict?: Opt<boolean>;
}

/** What a face (GraphQL input or REST body) hands in, before validation. */
export interface ChatInput {
  model: string;
  provider?: Opt<string>;
  messages: ChatMessageInput[];
  maxTokens?: Opt<number>;
  temperature?: Opt<number>;
  topP?: Opt<number>;
  stop?: Opt<string[]>;
  seed?: Opt<number>;
  tools?: Opt<ToolInput[]>;
  toolChoice?: Opt<ToolChoiceInput>;
  responseFormat?: Opt<ResponseFormatInput>;
  presencePenalty?: Opt<number>;
  frequencyPenalty?: Opt<number>;
  repetitionPenalty?: Opt<number>;
  user?: Opt<string>;
  /** Models tried in order when the requested one fails in a way that falls back (see chat/call.ts). */
  fallbackModels?: Opt<string[]>;
}

export interface ChatLimits {
  maxMessages: number;
  maxMessageChars: number;
}

const ROLES = new Set<ChatRole>(['SYSTEM', 'USER', 'ASSISTANT', 'TOOL']);
const MAX_STOP_SEQUENCES = 4;
/** OpenAI's limits, which Together's OpenAI-compatible API inherits: 128 tools, names of [a-zA-Z0-9_-]{1,64}. */
const MAX_TOOLS = 128;
const MAX_TOOL_CALLS = 128;
const NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_ID = 256;
const MAX_USER = 256;
/** Fallbacks after the requested model: each is a full attempt under the call's one deadline. */
export const MAX_FALLBACK_MODELS = 4;
const TOOL_CHOICE_MODES = new Set(['NONE', 'AUTO', 'REQUIRED']);
const RESPONSE_FORMATS = new Set(['TEXT', 'JSON_OBJECT', 'JSON_SCHEMA']);

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

function numberIn(value: Opt<number>, field: string, min: number, max: number, integer = false): number | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw badInput(`${field} must be a${integer ? 'n integer' : ' number'}`, field);
  }
  if (value < min || value > max) throw badInput(`${field} must be between ${min} and ${max} (got ${value})`, field);
  return value;
}

/** JSON text or a parsed value → a plain JSON object (not an array, not null), or BAD_USER_INPUT naming `field`. */
function jsonObject(value: JsonObjectInput, field: string, maxChars: number): Record<string, unknown> {
  let parsed: unknown = value;
  if (typeof value === 'string') {
    if (value.length > maxChars) throw badInput(`${field} exceeds ${maxChars} characters`, field);
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw badInput(`${field} is not valid JSON: ${(err as Error).message}`, field);
    }
  } else if (JSON.stringify(value ?? null).length > maxChars) {
    throw badInput(`${field} exceeds ${maxChars} characters`, field);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw badInput(`${field} must be a JSON object`, field);
  return parsed as Record<string, unknown>;
}

function name(value: unknown, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw badInput(`${field} must be 1 to 64 characters of a-z, A-Z, 0-9, _ and - (got ${JSON.stringify(value)})`, field);
  }
  return value;
}

function toolCalls(raw: ToolCallInput[], field: string, maxChars: number): ToolCall[] {
  if (!Array.isArray(raw) || raw.length > MAX_TOOL_CALLS) throw badInput(`${field} may hold at most ${MAX_TOOL_CALLS} calls`, field);
  return raw.map((c, j) => {
    const at = `${field}.${j}`;
    if (!c || typeof c !== 'object') throw badInput(`${at} must be an object`, at);
    if (typeof c.id !== 'string' || c.id.trim() === '' || c.id.length > MAX_ID) {
      throw badInput(`${at}.id must be a non-empty string of at most ${MAX_ID} characters`, `${at}.id`);
    }
    if (present(c.type) && c.type !== 'FUNCTION') throw badInput(`${at}.type must be FUNCTION`, `${at}.type`);
    const fn = c.function;
    if (!fn || typeof fn !== 'object') throw badInput(`${at}.function is required`, `${at}.function`);
    const fnName = name(fn.name, `${at}.function.name`);
    // Not parsed: it is the model's own text (possibly invalid JSON) and goes back to it verbatim.
    if (typeof fn.arguments !== 'string' || fn.arguments.length > maxChars) {
      throw badInput(`${at}.function.arguments must be a string of at most ${maxChars} characters`, `${at}.function.arguments`);
    }
    return { id: c.id, type: 'FUNCTION', function: { name: fnName, arguments: fn.arguments } };
  });
}

function message(m: ChatMessageInput, i: number, callIds: Set<string>, limits: ChatLimits): ChatMessage {
  if (!m || !ROLES.has(m.role)) throw badInput(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`, `messages.${i}.role`);
  if (present(m.toolCalls) && !Array.isArray(m.toolCalls)) throw badInput(`messages[${i}].toolCalls must be a list`, `messages.${i}.toolCalls`);
  const calls = present(m.toolCalls) && m.toolCalls.length > 0 ? m.toolCalls : null;
  if (calls && m.role !== 'ASSISTANT') throw badInput(`messages[${i}].toolCalls is only allowed on ASSISTANT messages`, `messages.${i}.toolCalls`);
  // An assistant turn that only called tools has no text: OpenAI clients send null, GraphQL clients "".
  const content = !present(m.content) && calls ? '' : m.content;
  if (typeof content !== 'string') throw badInput(`messages[${i}].content must be a string`, `messages.${i}.content`);
  if (content.length > limits.maxMessageChars) {
    throw badInput(`messages[${i}].content exceeds ${limits.maxMessageChars} characters`, `messages.${i}.content`);
  }
  const out: ChatMessage = { role: m.role, content };
  if (present(m.name) && m.name !== '') out.name = m.name;
  if (calls) {
    out.toolCalls = toolCalls(calls, `messages.${i}.toolCalls`, limits.maxMessageChars);
    for (const c of out.toolCalls) callIds.add(c.id);
  }
  if (m.role === 'TOOL') {
    const field = `messages.${i}.toolCallId`;
    if (typeof m.toolCallId !== 'string' || m.toolCallId.trim() === '') throw badInput(`messages[${i}] is a TOOL message: toolCallId is required`, field);
    if (!callIds.has(m.toolCallId)) {
      throw badInput(`messages[${i}].toolCallId "${m.toolCallId}" answers no tool call of an earlier ASSISTANT message`, field);
    }
    out.toolCallId = m.toolCallId;
  } else if (present(m.toolCallId)) {
    throw badInput(`messages[${i}].toolCallId is only allowed on TOOL messages`, `messages.${i}.toolCallId`);
  }
  return out;
}

function tools(raw: ToolInput[], maxChars: number): ToolDefinition[] {
  if (!Array.isArray(raw) || raw.length > MAX_TOOLS) throw badInput(`tools may hold at most ${MAX_TOOLS} functions`, 'tools');
  const seen = new Set<string>();
  return raw.map((t, i) => {
    const at = `tools.${i}`;
    if (!t || typeof t !== 'object') throw badInput(`${at} must be an object`, at);
    if (present(t.type) && t.type !== 'FUNCTION') throw badInput(`${at}.type must be FUNCTION`, `${at}.type`);
    const fn = t.function;
    if (!fn || typeof fn !== 'object') throw badInput(`${at}.function is required`, `${at}.function`);
    const fnName = name(fn.name, `${at}.function.name`);
    if (seen.has(fnName)) throw badInput(`${at}.function.name "${fnName}" is defined twice`, `${at}.function.name`);
    seen.add(fnName);
    const def: ToolDefinition = { type: 'FUNCTION', name: fnName };
    if (present(fn.description)) {
      if (typeof fn.description !== 'string' || fn.description.length > maxChars) {
        throw badInput(`${at}.function.description must be a string of at most ${maxChars} characters`, `${at}.function.description`);
      }
      def.description = fn.description;
    }
    if (present(fn.parameters)) def.parameters = jsonObject(fn.parameters, `${at}.function.parameters`, maxChars);
    if (present(fn.strict)) def.strict = Boolean(fn.strict);
    return def;
  });
}

function toolChoice(raw: ToolChoiceInput, defined: ToolDefinition[] | undefined): ToolChoice | undefined {
  if (typeof raw !== 'object') throw badInput('toolChoice must be an object', 'toolChoice');
  const hasMode = present(raw.mode);
  const hasName = present(raw.functionName);
  if (hasMode === hasName) throw badInput('toolChoice takes exactly one of mode and functionName', 'toolChoice');
  if (hasMode && !TOOL_CHOICE_MODES.has(raw.mode as string)) throw badInput('toolChoice.mode must be NONE, AUTO or REQUIRED', 'toolChoice.mode');
  const any = defined !== undefined && defined.length > 0;
  if (raw.mode === 'NONE' || raw.mode === 'AUTO') return any ? raw.mode : undefined; // meaningless without tools: not sent
  if (!any) throw badInput('toolChoice REQUIRED or a named function needs tools', 'toolChoice');
  if (raw.mode === 'REQUIRED') return 'REQUIRED';
  const fn = raw.functionName as string;
  if (!defined.some((t) => t.name === fn)) throw badInput(`toolChoice.functionName "${fn}" is not one of the tools`, 'toolChoice.functionName');
  return { functionName: fn };
}

function responseFormat(raw: ResponseFormatInput, maxChars: number): ResponseFormat {
  if (!raw || !RESPONSE_FORMATS.has(raw.type)) throw badInput('responseFormat.type must be TEXT, JSON_OBJECT or JSON_SCHEMA', 'responseFormat.type');
  if (raw.type !== 'JSON_SCHEMA') {
    if (present(raw.name)) throw badInput('responseFormat.name applies to JSON_SCHEMA only', 'responseFormat.name');
    if (present(raw.strict)) throw badInput('responseFormat.strict applies to JSON_SCHEMA only', 'responseFormat.strict');
  }
  if (raw.type === 'TEXT') {
    if (present(raw.schema)) throw badInput('responseFormat.schema does not apply to TEXT', 'responseFormat.schema');
    return { type: 'TEXT' };
  }
  if (raw.type === 'JSON_OBJECT') {
    return present(raw.schema) ? { type: 'JSON_OBJECT', schema: jsonObject(raw.schema, 'responseFormat.schema', maxChars) } : { type: 'JSON_OBJECT' };
  }
  if (!present(raw.schema)) throw badInput('responseFormat.schema is required for JSON_SCHEMA', 'responseFormat.schema');
  const format: ResponseFormat = {
    type: 'JSON_SCHEMA',
    name: present(raw.name) ? name(raw.name, 'responseFormat.name') : 'response',
    schema: jsonObject(raw.schema, 'responseFormat.schema', maxChars),
  };
  if (present(raw.strict)) format.strict = Boolean(raw.strict);
  return format;
}

function positive(value: Opt<number>, field: string): number | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw badInput(`${field} must be a number above 0 (got ${value})`, field);
  return value;
}

function user(value: Opt<string>): string | undefined {
  if (!present(value) || value === '') return undefined;
  if (typeof value !== 'string' || value.length > MAX_USER) throw badInput(`user must be a string of at most ${MAX_USER} characters`, 'user');
  return value;
}

/** Every rule is checked before any upstream call: a bad request costs nothing and tells the caller why. */
export function validateChatInput(input: ChatInput, limits: ChatLimits): ChatRequest {
  const model = typeof input.model === 'string' ? input.model.trim() : '';
  const problem = modelIdProblem(model);
  if (problem) throw badInput(`model ${problem}`, 'model');
  if (!Array.isArray(input.messages) || input.messages.length === 0) throw badInput('messages must not be empty', 'messages');
  if (input.messages.length > limits.maxMessages) {
    throw badInput(`messages may hold at most ${limits.maxMessages} entries`, 'messages');
  }
  const callIds = new Set<string>();
  const messages: ChatMessage[] = input.messages.map((m, i) => message(m, i, callIds, limits));
  if (!messages.some((m) => m.content.trim() !== '')) throw badInput('messages must contain some text', 'messages');
  let stop: string[] | undefined;
  if (present(input.stop)) {
    if (!Array.isArray(input.stop) || input.stop.length > MAX_STOP_SEQUENCES) {
      throw badInput(`stop may hold at most ${MAX_STOP_SEQUENCES} sequences`, 'stop');
    }
    if (input.stop.some((s) => typeof s !== 'string' || s === '' || s.length > 256)) {
      throw badInput('stop sequences must be non-empty strings of at most 256 characters', 'stop');
    }
    stop = input.stop;
  }
  const definedTools = present(input.tools) ? tools(input.tools, limits.maxMessageChars) : undefined;
  return {
    model,
    messages,
    maxTokens: numberIn(input.maxTokens, 'maxTokens', 1, 10_000_000, true),
    temperature: numberIn(input.temperature, 'temperature', 0, 2),
    topP: numberIn(input.topP, 'topP', 0, 1),
    stop,
    seed: numberIn(input.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
    tools: definedTools,
    toolChoice: present(input.toolChoice) ? toolChoice(input.toolChoice, definedTools) : undefined,
    responseFormat: present(input.responseFormat) ? responseFormat(input.responseFormat, limits.maxMessageChars) : undefined,
    presencePenalty: numberIn(input.presencePenalty, 'presencePenalty', -2, 2),
    frequencyPenalty: numberIn(input.frequencyPenalty, 'frequencyPenalty', -2, 2),
    repetitionPenalty: positive(input.repetitionPenalty, 'repetitionPenalty'),
    user: user(input.user),
  };
}

/**
 * The fallback models, trimmed, in order. A repeat (of the requested model or another fallback) would only be a
 * wasted attempt, and more than MAX_FALLBACK_MODELS could not fit the call's one deadline: both are refused.
 */
export function validateFallbackModels(value: Opt<string[]>, model: string): string[] {
  if (!present(value)) return [];
  if (!Array.isArray(value) || value.length > MAX_FALLBACK_MODELS) {
    throw badInput(`fallbackModels may hold at most ${MAX_FALLBACK_MODELS} models`, 'fallbackModels');
  }
  const seen = new Set([model]);
  return value.map((raw, i) => {
    const id = typeof raw === 'string' ? raw.trim() : '';
    if (modelIdProblem(id) !== null) {
      throw badInput(`fallbackModels must hold non-empty model ids of at most ${MAX_MODEL_ID_CHARS} characters, without control characters`, `fallbackModels.${i}`);
    }
    if (seen.has(id)) throw badInput(`fallbackModels repeats "${id}"`, `fallbackModels.${i}`);
    seen.add(id);
    return id;
  });
}
