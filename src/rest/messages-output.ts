import type { ChatResult, ChatStreamEvent } from '../chat/service.ts';
import type { FinishReason, ToolCall, Usage } from '../domain.ts';
import type { RestError } from './errors.ts';
import type { MessagesRequest } from './messages-request.ts';
import type { WireStream } from './wire-call.ts';
import type { Json } from './json.ts';

/**
 * The chat core's answer → Anthropic's Messages API: the `message` object, its content blocks (`thinking`,
 * `text`, `tool_use`), the stream events (`message_start` … `message_stop`) and error bodies. Shapes:
 * Anthropic's Messages API reference, as typed and parsed by `@anthropic-ai/sdk`.
 */

export const messageId = (requestId: string): string => `msg_${requestId.replace(/[^A-Za-z0-9]/g, '')}`;

/** Together cannot say which stop sequence matched, so a normal end is always `end_turn`. */
const STOP_REASONS: Record<FinishReason, string> = {
  STOP: 'end_turn',
  LENGTH: 'max_tokens',
  TOOL_CALLS: 'tool_use',
  CONTENT_FILTER: 'refusal',
  ERROR: 'end_turn',
  CANCELLED: 'end_turn',
};

/**
 * Anthropic's usage: `input_tokens` excludes what was read from the prompt cache (that is
 * `cache_read_input_tokens`), so the two add up to Together's prompt tokens. Together bills no cache writes.
 */
function usageOf(usage: Usage, estimated: boolean): Json {
  const cached = usage.cachedTokens ?? 0;
  const out: Json = {
    input_tokens: usage.promptTokens - cached,
    output_tokens: usage.completionTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
  if (estimated) out.estimated = true;
  return out;
}

/** The model's JSON arguments as `input`; text that is not a JSON object (a model's mistake) is kept, not lost. */
function inputOf(call: ToolCall): Json {
  if (call.function.arguments.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(call.function.arguments);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Json;
  } catch {
    // fall through
  }
  return { _unparsed_arguments: call.function.arguments };
}

const toolUse = (call: ToolCall, input: Json): Json => ({ type: 'tool_use', id: call.id, name: call.function.name, input });

/** The non-stream answer: thinking, then text, then one tool_use block per call. */
export function toMessage(result: ChatResult, requestId: string): Json {
  const content: Json[] = [];
  if (result.reasoning) content.push({ type: 'thinking', thinking: result.reasoning, signature: '' });
  if (result.content !== '' || (result.toolCalls.length === 0 && !result.reasoning)) content.push({ type: 'text', text: result.content });
  for (const call of result.toolCalls) content.push(toolUse(call, inputOf(call)));
  return {
    id: messageId(requestId),
    type: 'message',
    role: 'assistant',
    model: result.model,
    content,
    stop_reason: STOP_REASONS[result.finishReason],
    stop_sequence: null,
    usage: usageOf(result.usage, result.usageEstimated),
    provider: result.provider,
    cost_usd: result.costUsd,
  };
}

/** Anthropic's `error.type` for an HTTP status (its API's own table). */
function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 402) return 'billing_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  if (status === 503) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * The REST error (rest/errors.ts: the one error table and the one secret scrubber) in Anthropic's shape:
 * `{"type": "error", "error": {"type", "message"}, "request_id"}`, the status unchanged. The contract's code
 * rides along as `error.code`, which Anthropic's clients ignore and ours may read.
 */
export function toAnthropicError(restError: RestError, requestId: string): RestError {
  const { message, code } = restError.body.error;
  const body = { type: 'error', error: { type: anthropicErrorType(restError.status), message, code }, request_id: requestId };
  return { ...restError, body: body as unknown as RestError['body'] };
}

const event = (type: string, data: Json): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

interface OpenBlock {
  index: number;
  kind: 'thinking' | 'text' | 'tool_use';
}

/**
 * Frames the core's stream events as Anthropic's: `message_start`, then per content block
 * `content_block_start`, its deltas (`thinking_delta`, `text_delta`, `input_json_delta`) and
 * `content_block_stop`, one block at a time; last `message_delta` (stop reason, usage, cost) and `message_stop`.
 */
export class MessageEventFramer implements WireStream {
  private started = false;
  private blocks = 0;
  private open: OpenBlock | null = null;
  /** Tool calls by the core's delta index → their block index. */
  private readonly calls = new Map<number, number>();

  constructor(
    private readonly request: MessagesRequest,
    private readonly requestId: string,
  ) {}

  private start(model: string): string {
    this.started = true;
    const message = { id: messageId(this.requestId), type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null };
    // Together reports usage only at the end: message_delta carries the real counts (Anthropic's SDK takes them).
    return event('message_start', { message: { ...message, usage: { input_tokens: 0, output_tokens: 0 } } });
  }

  private close(): string {
    if (!this.open) return '';
    const text = event('content_block_stop', { index: this.open.index });
    this.open = null;
    return text;
  }

  private begin(kind: OpenBlock['kind'], block: Json): string {
    const text = this.close();
    this.open = { index: this.blocks++, kind };
    return text + event('content_block_start', { index: this.open.index, content_block: block });
  }

  frame(e: ChatStreamEvent): string {
    let text = this.started ? '' : this.start(e.model);
    if (e.done) {
      text += this.close();
      const usage = e.usage ? usageOf(e.usage, e.usageEstimated) : { output_tokens: 0 };
      text += event('message_delta', { delta: { stop_reason: STOP_REASONS[e.finishReason ?? 'STOP'], stop_sequence: null }, usage, cost_usd: e.costUsd });
      return text + event('message_stop', {});
    }
    if (e.reasoningDelta !== '') {
      if (this.open?.kind !== 'thinking') text += this.begin('thinking', { type: 'thinking', thinking: '', signature: '' });
      text += event('content_block_delta', { index: this.open!.index, delta: { type: 'thinking_delta', thinking: e.reasoningDelta } });
    }
    if (e.delta !== '') {
      if (this.open?.kind !== 'text') text += this.begin('text', { type: 'text', text: '' });
      text += event('content_block_delta', { index: this.open!.index, delta: { type: 'text_delta', text: e.delta } });
    }
    for (const d of e.toolCallDeltas) {
      let index = this.calls.get(d.index);
      if (index === undefined) {
        text += this.begin('tool_use', { type: 'tool_use', id: d.id ?? `call_${d.index}`, name: d.name ?? '', input: {} });
        index = this.open!.index;
        this.calls.set(d.index, index);
      }
      // Together sends one call's pieces after another; a late piece of an earlier call still names its own
      // block, which Anthropic's SDK accumulates by index.
      if (d.argumentsDelta !== '') text += event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: d.argumentsDelta } });
    }
    return text;
  }

  /** A failure after the stream started: Anthropic's `error` event, and the end of the stream. */
  failure(error: RestError): string {
    const started = this.started ? '' : this.start(String(this.request.input.model));
    const { body } = toAnthropicError(error, this.requestId);
    return started + event('error', { error: (body as unknown as { error: Json }).error });
  }
}
