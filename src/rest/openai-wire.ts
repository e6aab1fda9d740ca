import type { ChatStreamEvent, ChatResult } from '../chat/service.ts';
import type { ChatInput } from '../chat/validate.ts';
import type { FinishReason, Usage } from '../domain.ts';
import { badInput } from '../core/errors.ts';
import { absent, type Json, isObject } from './json.ts';

/**
 * OpenAI's chat wire format ↔ the gateway's own shapes. Only translation lives here: every rule about what
 * is valid stays in chat/validate.ts, so REST and GraphQL refuse exactly the same requests with the same row.
 */

export interface OpenAIChatRequest {
  input: ChatInput;
  stream: boolean;
  includeUsage: boolean;
}

/** OpenAI's newer `developer` role is its `system` for reasoning models. */
const ROLES: Record<string, string> = { system: 'SYSTEM', developer: 'SYSTEM', user: 'USER', assistant: 'ASSISTANT', tool: 'TOOL' };

/** `"text"`, or `[{type: "text", text}, …]` joined by newlines; null (an assistant turn that only called tools) is "". */
function contentOf(content: unknown, i: number): unknown {
  if (absent(content)) return '';
  if (!Array.isArray(content)) return content;
  return content
    .map((part: unknown, j) => {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
      throw badInput(`messages[${i}].content[${j}]: only {"type": "text", "text": "…"} parts are supported`, `messages.${i}.content`);
    })
    .join('\n');
}

/** OpenAI's `{id, type: "function", function: {name, arguments}}` → ours; anything odd goes on to validation. */
function toolCallsOf(calls: unknown): unknown {
  if (!Array.isArray(calls)) return calls;
  return calls.map((c: unknown) =>
    isObject(c) && isObject(c.function) ? { id: c.id, type: 'FUNCTION', function: { name: c.function.name, arguments: c.function.arguments } } : c,
  );
}

function messagesOf(messages: unknown): ChatInput['messages'] {
  // Not an array: handed on as is, and validation says why (the same message, and row, as GraphQL's).
  if (!Array.isArray(messages)) return messages as ChatInput['messages'];
  return messages.map((m: unknown, i) => {
    if (!isObject(m)) return m as ChatInput['messages'][number];
    const role = typeof m.role === 'string' ? (ROLES[m.role.toLowerCase()] ?? m.role) : m.role;
    const name = typeof m.name === 'string' ? m.name : undefined;
    const toolCalls = absent(m.tool_calls) ? undefined : toolCallsOf(m.tool_calls);
    // An assistant turn that only called tools has `content: null`; validation accepts that only with tool calls.
    const content = absent(m.content) && toolCalls ? null : contentOf(m.content, i);
    return { role, content, name, toolCalls, toolCallId: m.tool_call_id } as ChatInput['messages'][number];
  });
}

function toolsOf(tools: unknown): unknown {
  if (!Array.isArray(tools)) return tools;
  return tools.map((t: unknown) =>
    isObject(t) && isObject(t.function)
      ? { type: 'FUNCTION', function: { name: t.function.name, description: t.function.description, parameters: t.function.parameters, strict: t.function.strict } }
      : t,
  );
}

/** `"none" | "auto" | "required"` or `{type: "function", function: {name}}`. */
function toolChoiceOf(choice: unknown): unknown {
  if (absent(choice)) return undefined;
  if (typeof choice === 'string') return { mode: choice.toUpperCase() };
  if (isObject(choice) && isObject(choice.function)) return { functionName: choice.function.name };
  throw badInput('tool_choice must be "none", "auto", "required" or {"type": "function", "function": {"name": …}}', 'tool_choice');
}

/** `{type: "text" | "json_object" | "json_schema", json_schema?: {name, schema, strict}, schema?}`. */
function responseFormatOf(format: unknown): unknown {
  if (absent(format)) return undefined;
  if (!isObject(format) || typeof format.type !== 'string') throw badInput('response_format must be {"type": …}', 'response_format');
  const jsonSchema = isObject(format.json_schema) ? format.json_schema : undefined;
  return {
    type: format.type.toUpperCase(),
    schema: jsonSchema?.schema ?? format.schema,
    name: jsonSchema?.name,
    strict: jsonSchema?.strict,
  };
}

function stopOf(stop: unknown): unknown {
  if (typeof stop === 'string') return [stop];
  if (absent(stop) || Array.isArray(stop)) return stop;
  throw badInput('stop must be a string or an array of strings', 'stop');
}

/**
 * OpenRouter's fallbacks: `models` lists models in priority order beside (or instead of) `model`. Without `model`
 * the first of `models` is the one requested; an entry repeating `model` (or an earlier entry) is skipped, as
 * OpenRouter does; anything else (too many, not strings) goes on to validation, which names it.
 */
function modelsOf(model: unknown, models: unknown): { model: unknown; fallbackModels: unknown } {
  if (!Array.isArray(models)) return { model, fallbackModels: absent(models) ? undefined : models };
  const primary = absent(model) || model === '' ? models[0] : model;
  const rest = primary === models[0] ? models.slice(1) : models;
  const seen = new Set([primary]);
  return { model: primary, fallbackModels: rest.filter((m) => (seen.has(m) ? false : (seen.add(m), true))) };
}

/** A JSON body → ChatInput. Unknown fields are ignored; wrong types go on to validation, which names them. */
export function fromOpenAIRequest(body: unknown): OpenAIChatRequest {
  if (!isObject(body)) throw badInput('The request body must be a JSON object');
  if (!absent(body.stream) && typeof body.stream !== 'boolean') throw badInput('stream must be a boolean', 'stream');
  if (!absent(body.n) && body.n !== 1) throw badInput('n must be 1: the gateway returns one choice', 'n');
  const streamOptions = isObject(body.stream_options) ? body.stream_options : {};
  const maxTokens = absent(body.max_completion_tokens) ? body.max_tokens : body.max_completion_tokens;
  const { model, fallbackModels } = modelsOf(body.model, body.models);
  // Every property named in one literal, no spread: a literal opening with a spread was built property by
  // property, 4 % of a REST call's CPU (`npm run bench:profile`).
  const input = {
    model,
    fallbackModels,
    provider: body.provider,
    messages: messagesOf(body.messages),
    maxTokens,
    temperature: body.temperature,
    topP: body.top_p,
    stop: stopOf(body.stop),
    seed: body.seed,
    tools: toolsOf(body.tools),
    toolChoice: toolChoiceOf(body.tool_choice),
    responseFormat: responseFormatOf(body.response_format),
    presencePenalty: body.presence_penalty,
    frequencyPenalty: body.frequency_penalty,
    repetitionPenalty: body.repetition_penalty,
    user: body.user,
  } as ChatInput;
  return { input, stream: body.stream === true, includeUsage: streamOptions.include_usage === true };
}

const FINISH: Record<FinishReason, string> = {
  STOP: 'stop',
  LENGTH: 'length',
  TOOL_CALLS: 'tool_calls',
  CONTENT_FILTER: 'content_filter',
  ERROR: 'error',
  CANCELLED: 'cancelled',
};

export const toFinishReason = (reason: FinishReason): string => FINISH[reason];

/** Our usage → OpenAI's, with the details objects only when Together reported them. */
export function toOpenAIUsage(usage: Usage, estimated: boolean): Json {
  const out: Json = { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens };
  if (usage.cachedTokens !== undefined) out.prompt_tokens_details = { cached_tokens: usage.cachedTokens };
  if (usage.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: usage.reasoningTokens };
  if (estimated) out.estimated = true;
  return out;
}

/** The non-stream body: OpenAI's `chat.completion`, plus the gateway's `provider` and `cost_usd`. */
export function toOpenAICompletion(result: ChatResult, fallbackId: string): Json {
  const toolOnly = result.toolCalls.length > 0 && result.content === '';
  // `refusal` is required (nullable) by OpenAI's schema; Together's models never refuse through it.
  const message: Json = { role: 'assistant', content: toolOnly ? null : result.content, refusal: null };
  if (result.reasoning !== null) message.reasoning = result.reasoning;
  if (result.toolCalls.length > 0) {
    message.tool_calls = result.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
  }
  return {
    id: result.id || fallbackId,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: result.model,
    provider: result.provider,
    choices: [{ index: 0, message, logprobs: null, finish_reason: toFinishReason(result.finishReason) }],
    usage: toOpenAIUsage(result.usage, result.usageEstimated),
    cost_usd: result.costUsd,
    // The gateway's extension, as `cost_usd`: every model tried, the one that answered last (code null).
    attempts: result.attempts.map((a) => ({ model: a.model, code: a.code, latency_ms: a.latencyMs })),
  };
}

/**
 * Frames ChatStreamEvents as `chat.completion.chunk`s: the first carries `delta.role`, the last (with
 * include_usage) has `choices: []`, `usage` and `cost_usd`. Every chunk keeps the first id and model seen.
 */
export class ChunkFramer {
  private id = '';
  private model = '';
  private readonly created = Math.floor(Date.now() / 1000);
  private started = false;

  constructor(
    private readonly fallbackId: string,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(choices: unknown[], extra: Json = {}): Json {
    const base: Json = { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices };
    if (this.includeUsage) base.usage = null;
    return { ...base, ...extra };
  }

  /** The chunks (as JSON objects) one event becomes. */
  frame(event: ChatStreamEvent): Json[] {
    if (!this.id) this.id = event.id || this.fallbackId;
    if (!this.model) this.model = event.model;
    const out: Json[] = [];
    if (!this.started) {
      this.started = true;
      out.push(this.chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    }
    if (!event.done) {
      const delta: Json = {};
      if (event.delta !== '') delta.content = event.delta;
      if (event.reasoningDelta !== '') delta.reasoning = event.reasoningDelta;
      if (event.toolCallDeltas.length > 0) {
        // OpenAI framing: the first piece of a call carries id, type and name; later pieces only arguments.
        delta.tool_calls = event.toolCallDeltas.map((d) => {
          const fn: Json = { arguments: d.argumentsDelta };
          if (d.name !== null) fn.name = d.name;
          return d.id !== null ? { index: d.index, id: d.id, type: 'function', function: fn } : { index: d.index, function: fn };
        });
      }
      out.push(this.chunk([{ index: 0, delta, logprobs: null, finish_reason: null }]));
      return out;
    }
    out.push(this.chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: event.finishReason ? toFinishReason(event.finishReason) : 'stop' }]));
    if (this.includeUsage && event.usage) {
      out.push(this.chunk([], { usage: toOpenAIUsage(event.usage, event.usageEstimated), cost_usd: event.costUsd }));
    }
    return out;
  }
}
