import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type {
  ChatMessage,
  ChatRequest,
  FinishReason,
  ProviderCompletion,
  ProviderStreamChunk,
  ResponseFormat,
  ToolCall,
  ToolCallDelta,
  ToolChoice,
  Usage,
} from '../../domain.ts';

const ROLE: Record<ChatRequest['messages'][number]['role'], 'system' | 'user' | 'assistant' | 'tool'> = {
  SYSTEM: 'system',
  USER: 'user',
  ASSISTANT: 'assistant',
  TOOL: 'tool',
};

function toWireMessage(m: ChatMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: ROLE[m.role], content: m.content };
  if (m.name) out.name = m.name;
  if (m.toolCalls && m.toolCalls.length > 0) {
    out.tool_calls = m.toolCalls.map((c) => ({ id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }));
    // What Together itself sends for a turn that only called tools, so sending it back is always accepted.
    if (m.content === '') out.content = null;
  }
  if (m.toolCallId) out.tool_call_id = m.toolCallId;
  return out;
}

function toWireToolChoice(choice: ToolChoice): unknown {
  if (typeof choice === 'string') return choice.toLowerCase();
  return { type: 'function', function: { name: choice.functionName } };
}

/** Together takes both the OpenAI `json_schema` form and its older `json_object` + `schema` form. */
function toWireResponseFormat(format: ResponseFormat): unknown {
  switch (format.type) {
    case 'TEXT':
      return { type: 'text' };
    case 'JSON_OBJECT':
      return format.schema ? { type: 'json_object', schema: format.schema } : { type: 'json_object' };
    case 'JSON_SCHEMA': {
      const jsonSchema: Record<string, unknown> = { name: format.name, schema: format.schema };
      if (format.strict !== undefined) jsonSchema.strict = format.strict;
      return { type: 'json_schema', json_schema: jsonSchema };
    }
  }
}

/** Our validated request → the body Together expects (OpenAI-compatible, snake_case). */
export function toTogetherParams(request: ChatRequest): ChatCompletionCreateParamsBase {
  const params: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(toWireMessage),
  };
  if (request.maxTokens !== undefined) params.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (request.topP !== undefined) params.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) params.stop = request.stop;
  if (request.seed !== undefined) params.seed = request.seed;
  if (request.tools !== undefined && request.tools.length > 0) {
    params.tools = request.tools.map((t) => {
      const fn: Record<string, unknown> = { name: t.name };
      if (t.description !== undefined) fn.description = t.description;
      if (t.parameters !== undefined) fn.parameters = t.parameters;
      if (t.strict !== undefined) fn.strict = t.strict;
      return { type: 'function', function: fn };
    });
  }
  if (request.toolChoice !== undefined) params.tool_choice = toWireToolChoice(request.toolChoice);
  if (request.responseFormat !== undefined) params.response_format = toWireResponseFormat(request.responseFormat);
  if (request.presencePenalty !== undefined) params.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) params.frequency_penalty = request.frequencyPenalty;
  if (request.repetitionPenalty !== undefined) params.repetition_penalty = request.repetitionPenalty;
  if (request.user !== undefined) params.user = request.user;
  return params as unknown as ChatCompletionCreateParamsBase;
}

const LONG_DIGITS = /\d{16}/;
/** A whole number token of 16+ digits between JSON strings (not part of a decimal or an exponent). */
const LONG_INTEGER = /(?<![\d.eE+-])-?\d{16,}(?![\d.eE+-])/g;

/** The index just past the closing quote of the string whose opening quote is at `open`. */
function endOfString(text: string, open: number): number {
  let close = text.indexOf('"', open + 1);
  while (close !== -1) {
    let slashes = 0;
    for (let j = close - 1; text.charCodeAt(j) === 0x5c /* \ */; j--) slashes++;
    if (slashes % 2 === 0) return close + 1;
    close = text.indexOf('"', close + 1);
  }
  return text.length;
}

/**
 * JSON.parse that keeps integers beyond 2^53 exact: they come back as their decimal text (a string) instead
 * of a rounded number. Together's `seed` is a 64-bit integer; everything else it sends fits a double.
 * Only number tokens outside strings are touched, so text content can never be altered.
 */
export function parseTogetherJson(text: string): unknown {
  // Most bodies hold no 16-digit run at all (Together omits the seed unless asked): one native scan, then the
  // plain parse. Otherwise strings are skipped with indexOf and only the text between them is searched (a
  // character-by-character tokenizer here cost 2.4 % of a REST call's CPU: `npm run bench:profile`).
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const quote = text.indexOf('"', i);
    const structural = quote === -1 ? text.length : quote;
    if (structural - i >= 16) {
      LONG_INTEGER.lastIndex = 0;
      const between = text.slice(i, structural);
      for (let m = LONG_INTEGER.exec(between); m; m = LONG_INTEGER.exec(between)) {
        if (Number.isSafeInteger(Number(m[0]))) continue;
        const at = i + m.index;
        out += `${text.slice(copied, at)}"${m[0]}"`;
        copied = at + m[0].length;
      }
    }
    if (quote === -1) break;
    i = endOfString(text, quote);
  }
  return JSON.parse(copied === 0 ? text : out + text.slice(copied));
}

/** A seed as exact decimal text: big ones arrive as strings from parseTogetherJson, small ones as numbers. */
export function mapSeed(raw: unknown): string | null {
  if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return raw;
  if (typeof raw === 'number' && Number.isSafeInteger(raw)) return String(raw);
  return null;
}

/** Together says `eos` where OpenAI says `stop`; tool calls may be reported as `function_call` by older models. */
export function mapFinishReason(raw: unknown): FinishReason | null {
  switch (raw) {
    case null:
    case undefined:
    case '':
      return null;
    case 'stop':
    case 'eos':
      return 'STOP';
    case 'length':
      return 'LENGTH';
    case 'tool_calls':
    case 'function_call':
      return 'TOOL_CALLS';
    case 'content_filter':
      return 'CONTENT_FILTER';
    case 'error':
      return 'ERROR';
    default:
      return 'STOP';
  }
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const record = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/**
 * Together's usage → ours; null when absent. Its extras: `cached_tokens` and `reasoning_tokens` at the top level
 * (Llama, gpt-oss, DeepSeek, Kimi), or the OpenAI `prompt_tokens_details.cached_tokens` /
 * `completion_tokens_details.reasoning_tokens` (either may be null).
 */
export function mapUsage(raw: unknown): Usage | null {
  if (!raw || typeof raw !== 'object') return null;
  const u = raw as Record<string, unknown>;
  const promptTokens = count(u.prompt_tokens);
  const completionTokens = count(u.completion_tokens);
  const cached = u.cached_tokens ?? record(u.prompt_tokens_details).cached_tokens;
  const reasoning = u.reasoning_tokens ?? record(u.completion_tokens_details).reasoning_tokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: typeof u.total_tokens === 'number' ? count(u.total_tokens) : promptTokens + completionTokens,
    cachedTokens: typeof cached === 'number' ? count(cached) : undefined,
    reasoningTokens: typeof reasoning === 'number' ? count(reasoning) : undefined,
  };
}

/** Some models send `arguments` as an object rather than JSON text: normalise to text. */
const argumentsText = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

interface RawToolCall {
  index?: unknown;
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown } | null;
}

function mapToolCalls(raw: unknown): ToolCall[] {
  if (!Array.isArray(raw)) return [];
  return (raw as RawToolCall[])
    .filter((c) => c && typeof c === 'object' && text(c.function?.name) !== null)
    .map((c, i) => ({
      // Every recorded Together call has an id; one is made up only so that a TOOL reply can still refer to it.
      id: text(c.id) ?? `call_${i}`,
      type: 'FUNCTION' as const,
      function: { name: text(c.function?.name) ?? '', arguments: argumentsText(c.function?.arguments) },
    }));
}

/** Together's non-stream body (already parsed by parseTogetherJson) → ours. */
export function mapCompletion(raw: unknown, requestedModel: string): ProviderCompletion {
  const body = record(raw);
  const choices = Array.isArray(body.choices) ? (body.choices as unknown[]) : [];
  const choice = record(choices.find((c) => (record(c).index ?? 0) === 0) ?? choices[0]);
  const message = record(choice.message);
  const reasoning = message.reasoning ?? message.reasoning_content;
  return {
    id: typeof body.id === 'string' ? body.id : '',
    model: typeof body.model === 'string' ? body.model : requestedModel,
    // Null when the turn only called tools.
    content: typeof message.content === 'string' ? message.content : '',
    reasoning: typeof reasoning === 'string' && reasoning !== '' ? reasoning : null,
    toolCalls: mapToolCalls(message.tool_calls),
    finishReason: mapFinishReason(choice.finish_reason) ?? 'STOP',
    usage: mapUsage(body.usage),
    seed: mapSeed(choice.seed),
  };
}

function mapToolCallDeltas(raw: unknown): ToolCallDelta[] {
  if (!Array.isArray(raw)) return [];
  const deltas: ToolCallDelta[] = [];
  (raw as RawToolCall[]).forEach((c, i) => {
    if (!c || typeof c !== 'object') return;
    const delta: ToolCallDelta = {
      index: typeof c.index === 'number' && Number.isInteger(c.index) && c.index >= 0 ? c.index : i,
      // gpt-oss repeats `"id": null, "name": null` on every continuation piece; Llama leaves them out.
      id: text(c.id),
      name: text(c.function?.name),
      argumentsDelta: argumentsText(c.function?.arguments),
    };
    if (delta.id !== null || delta.name !== null || delta.argumentsDelta !== '') deltas.push(delta);
  });
  return deltas;
}

interface RawChunk {
  id?: string;
  model?: string;
  choices?: Array<{
    index?: number;
    finish_reason?: unknown;
    seed?: unknown;
    delta?: { content?: unknown; reasoning?: unknown; reasoning_content?: unknown; tool_calls?: unknown } | null;
  }>;
  usage?: unknown;
}

/**
 * One SSE chunk (parsed by parseTogetherJson) → our chunk. Reasoning is in `delta.reasoning` (gpt-oss,
 * DeepSeek, Kimi; `reasoning_content` elsewhere). Usage arrives either on the finish chunk (Llama) or on a
 * separate chunk with `choices: []` (gpt-oss, DeepSeek, Kimi); both land in `usage` here and the caller keeps
 * the last one. `finish_reason` may repeat on two chunks: the caller keeps the first.
 */
export function mapStreamChunk(raw: unknown): ProviderStreamChunk {
  const chunk = (raw ?? {}) as RawChunk;
  const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => (c?.index ?? 0) === 0) : undefined;
  const delta = choice?.delta;
  const reasoning = delta?.reasoning ?? delta?.reasoning_content;
  return {
    id: typeof chunk.id === 'string' ? chunk.id : undefined,
    model: typeof chunk.model === 'string' ? chunk.model : undefined,
    delta: typeof delta?.content === 'string' ? delta.content : '',
    reasoningDelta: typeof reasoning === 'string' ? reasoning : '',
    toolCallDeltas: mapToolCallDeltas(delta?.tool_calls),
    finishReason: mapFinishReason(choice?.finish_reason),
    usage: mapUsage(chunk.usage),
    seed: mapSeed(choice?.seed),
  };
}
