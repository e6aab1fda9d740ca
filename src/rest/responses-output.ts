import type { ChatResult, ChatStreamEvent } from '../chat/service.ts';
import type { FinishReason, ToolCall, Usage } from '../domain.ts';
import type { RestError } from './errors.ts';
import type { ResponsesRequest } from './responses-request.ts';
import type { WireStream } from './wire-call.ts';
import type { Json } from './json.ts';

/**
 * The chat core's answer → OpenAI's Responses API objects: the `response` object and its output items, and
 * the typed stream events (`response.created` … `response.completed`). Shapes: OpenAI's OpenAPI description
 * (`Response`, `OutputItem`, `ResponseStreamEvent`; openai/openai-openapi, openapi.json 2.3.0). Together's
 * reasoning is the model's own text, not a summary, so it is a reasoning item's `content` (`reasoning_text`,
 * as OpenAI returns gpt-oss reasoning), with an empty `summary`.
 */

type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** Ids the gateway makes itself: one prefix per object, OpenAI's, and the request id (unique per call). */
export const responseId = (requestId: string): string => `resp_${requestId.replace(/[^A-Za-z0-9]/g, '')}`;
const itemId = (prefix: 'msg' | 'rs' | 'fc', requestId: string, outputIndex: number): string =>
  `${prefix}_${requestId.replace(/[^A-Za-z0-9]/g, '')}_${outputIndex}`;

const reasoningItem = (id: string, text: string, status: ItemStatus): Json => ({
  type: 'reasoning',
  id,
  summary: [],
  content: status === 'in_progress' ? [] : [{ type: 'reasoning_text', text }],
  status,
});

const messageItem = (id: string, text: string, status: ItemStatus): Json => ({
  type: 'message',
  id,
  status,
  role: 'assistant',
  content: status === 'in_progress' ? [] : [outputText(text)],
});

const outputText = (text: string): Json => ({ type: 'output_text', text, annotations: [], logprobs: [] });

const functionCallItem = (id: string, call: ToolCall, status: ItemStatus): Json => ({
  type: 'function_call',
  id,
  call_id: call.id,
  name: call.function.name,
  arguments: call.function.arguments,
  status,
});

/** OpenAI's usage; its schema requires the detail counts, so the ones Together does not report are 0. */
function usageOf(usage: Usage, estimated: boolean): Json {
  const out: Json = {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0, cache_write_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
  if (estimated) out.estimated = true;
  return out;
}

/** LENGTH and CONTENT_FILTER leave a response `incomplete`, with OpenAI's reason. */
function statusOf(reason: FinishReason | null): { status: 'completed' | 'incomplete'; incomplete: Json | null } {
  if (reason === 'LENGTH') return { status: 'incomplete', incomplete: { reason: 'max_output_tokens' } };
  if (reason === 'CONTENT_FILTER') return { status: 'incomplete', incomplete: { reason: 'content_filter' } };
  return { status: 'completed', incomplete: null };
}

interface Outcome {
  status: string;
  output: Json[];
  model: string;
  incomplete?: Json | null;
  usage?: Json | null;
  error?: Json | null;
  provider?: string;
  costUsd?: number | null;
}

/** The `response` object, with the request's settings echoed as OpenAI does; `provider` and `cost_usd` are the gateway's. */
function responseObject(request: ResponsesRequest, id: string, createdAt: number, o: Outcome): Json {
  const { echo } = request;
  const body: Json = {
    id,
    object: 'response',
    created_at: createdAt,
    status: o.status,
    completed_at: o.status === 'completed' ? Math.floor(Date.now() / 1000) : null,
    background: false,
    error: o.error ?? null,
    incomplete_details: o.incomplete ?? null,
    instructions: echo.instructions,
    max_output_tokens: echo.maxOutputTokens,
    model: o.model,
    output: o.output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: echo.temperature,
    text: { format: echo.textFormat },
    tool_choice: echo.toolChoice,
    tools: echo.tools,
    top_p: echo.topP,
    truncation: 'disabled',
    metadata: echo.metadata,
  };
  // OpenAI's schema has no null for these: absent until known (usage) or when not given (user).
  if (o.usage) body.usage = o.usage;
  if (echo.user !== null) body.user = echo.user;
  if (o.provider !== undefined) body.provider = o.provider;
  if (o.costUsd !== undefined) body.cost_usd = o.costUsd;
  return body;
}

/** The non-stream answer: reasoning, then the message (when there is text), then the function calls. */
export function toResponse(
  result: ChatResult,
  request: ResponsesRequest,
  requestId: string,
  onMessage: (itemId: string, text: string) => void = () => undefined,
): Json {
  const { status, incomplete } = statusOf(result.finishReason);
  const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
  const output: Json[] = [];
  if (result.reasoning) output.push(reasoningItem(itemId('rs', requestId, output.length), result.reasoning, itemStatus));
  if (result.content !== '' || result.toolCalls.length === 0) {
    const id = itemId('msg', requestId, output.length);
    output.push(messageItem(id, result.content, itemStatus));
    onMessage(id, result.content);
  }
  for (const call of result.toolCalls) output.push(functionCallItem(itemId('fc', requestId, output.length), call, itemStatus));
  return responseObject(request, responseId(requestId), Math.floor(Date.now() / 1000), {
    status,
    output,
    model: result.model,
    incomplete,
    usage: usageOf(result.usage, result.usageEstimated),
    provider: result.provider,
    costUsd: result.costUsd,
  });
}

/** OpenAI's `ResponseError.code` words for a failed stream (the `error` event carries the contract's code). */
const failureCode = (code: string): string =>
  code === 'RATE_LIMITED' ? 'rate_limit_exceeded' : code === 'BAD_USER_INPUT' || code === 'CONTEXT_LENGTH_EXCEEDED' ? 'invalid_prompt' : 'server_error';

/** One output item being streamed: its place in `output` and what it has accumulated. */
interface OpenItem {
  kind: 'reasoning' | 'message' | 'function_call';
  outputIndex: number;
  id: string;
  text: string;
  call?: ToolCall;
}

/**
 * Frames the core's stream events as Responses events (`event: <type>` + `data: {…, sequence_number}`).
 * Reasoning, text and each tool call are output items, opened when their first piece arrives and closed
 * (`….done`, `response.output_item.done`) when another kind starts or the stream ends.
 */
export class ResponseEventFramer implements WireStream {
  private sequence = 0;
  private started = false;
  private model = '';
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly id: string;
  private readonly output: Json[] = [];
  private reasoning: OpenItem | null = null;
  private message: OpenItem | null = null;
  /** Tool calls by the core's delta index: parallel calls may interleave. */
  private readonly calls = new Map<number, OpenItem>();
  private text = '';

  constructor(
    private readonly request: ResponsesRequest,
    private readonly requestId: string,
    /** Told of each finished message item (its id and text), for later item references. */
    private readonly onMessage: (itemId: string, text: string) => void = () => undefined,
  ) {
    this.id = responseId(requestId);
  }

  private emit(type: string, data: Json): void {
    this.text += `event: ${type}\ndata: ${JSON.stringify({ type, ...data, sequence_number: this.sequence++ })}\n\n`;
  }

  private open(kind: OpenItem['kind'], prefix: 'rs' | 'msg' | 'fc', item: (id: string) => Json): OpenItem {
    const open: OpenItem = { kind, outputIndex: this.output.length, id: itemId(prefix, this.requestId, this.output.length), text: '' };
    this.output.push(item(open.id));
    this.emit('response.output_item.added', { output_index: open.outputIndex, item: item(open.id) });
    return open;
  }

  private close(item: OpenItem, status: ItemStatus): void {
    const at = { item_id: item.id, output_index: item.outputIndex };
    let done: Json;
    if (item.kind === 'reasoning') {
      this.emit('response.reasoning_text.done', { ...at, content_index: 0, text: item.text });
      this.emit('response.content_part.done', { ...at, content_index: 0, part: { type: 'reasoning_text', text: item.text } });
      done = reasoningItem(item.id, item.text, status);
    } else if (item.kind === 'message') {
      this.emit('response.output_text.done', { ...at, content_index: 0, text: item.text, logprobs: [] });
      this.emit('response.content_part.done', { ...at, content_index: 0, part: outputText(item.text) });
      done = messageItem(item.id, item.text, status);
      this.onMessage(item.id, item.text);
    } else {
      const call = item.call!;
      this.emit('response.function_call_arguments.done', { ...at, name: call.function.name, arguments: call.function.arguments });
      done = functionCallItem(item.id, call, status);
    }
    this.output[item.outputIndex] = done;
    this.emit('response.output_item.done', { output_index: item.outputIndex, item: done });
  }

  private closeText(): void {
    if (this.reasoning) this.close(this.reasoning, 'completed');
    if (this.message) this.close(this.message, 'completed');
    this.reasoning = this.message = null;
  }

  private snapshot(o: Omit<Outcome, 'output' | 'model'>): Json {
    return responseObject(this.request, this.id, this.createdAt, { ...o, output: this.output, model: this.model });
  }

  frame(event: ChatStreamEvent): string {
    this.text = '';
    if (!this.started) {
      this.started = true;
      this.model = event.model;
      this.emit('response.created', { response: this.snapshot({ status: 'in_progress' }) });
      this.emit('response.in_progress', { response: this.snapshot({ status: 'in_progress' }) });
    }
    if (event.done) return this.finish(event);
    if (event.reasoningDelta !== '') {
      if (this.message) this.closeText();
      if (!this.reasoning) {
        this.reasoning = this.open('reasoning', 'rs', (id) => reasoningItem(id, '', 'in_progress'));
        this.emit('response.content_part.added', { item_id: this.reasoning.id, output_index: this.reasoning.outputIndex, content_index: 0, part: { type: 'reasoning_text', text: '' } });
      }
      this.reasoning.text += event.reasoningDelta;
      this.emit('response.reasoning_text.delta', { item_id: this.reasoning.id, output_index: this.reasoning.outputIndex, content_index: 0, delta: event.reasoningDelta });
    }
    if (event.delta !== '') {
      if (this.reasoning) this.closeText();
      if (!this.message) {
        this.message = this.open('message', 'msg', (id) => messageItem(id, '', 'in_progress'));
        this.emit('response.content_part.added', { item_id: this.message.id, output_index: this.message.outputIndex, content_index: 0, part: outputText('') });
      }
      this.message.text += event.delta;
      this.emit('response.output_text.delta', { item_id: this.message.id, output_index: this.message.outputIndex, content_index: 0, delta: event.delta, logprobs: [] });
    }
    for (const d of event.toolCallDeltas) {
      let item = this.calls.get(d.index);
      if (!item) {
        this.closeText();
        const call: ToolCall = { id: d.id ?? `call_${d.index}`, type: 'FUNCTION', function: { name: d.name ?? '', arguments: '' } };
        item = { ...this.open('function_call', 'fc', (id) => functionCallItem(id, call, 'in_progress')), call };
        this.calls.set(d.index, item);
      }
      if (d.argumentsDelta === '') continue;
      item.call!.function.arguments += d.argumentsDelta;
      this.emit('response.function_call_arguments.delta', { item_id: item.id, output_index: item.outputIndex, delta: d.argumentsDelta });
    }
    return this.text;
  }

  private finish(event: ChatStreamEvent): string {
    const { status, incomplete } = statusOf(event.finishReason);
    const itemStatus: ItemStatus = status === 'completed' ? 'completed' : 'incomplete';
    const open = [this.reasoning, this.message, ...this.calls.values()].filter((i): i is OpenItem => i !== null);
    for (const item of open.sort((a, b) => a.outputIndex - b.outputIndex)) this.close(item, itemStatus);
    const usage = event.usage ? usageOf(event.usage, event.usageEstimated) : null;
    const response = this.snapshot({ status, incomplete, usage, costUsd: event.costUsd });
    this.emit(status === 'completed' ? 'response.completed' : 'response.incomplete', { response });
    return this.text;
  }

  /** A failure after the stream started: OpenAI's `error` event, then `response.failed`. */
  failure(error: RestError): string {
    this.text = '';
    if (!this.started) {
      this.started = true;
      this.model = String(this.request.input.model);
      this.emit('response.created', { response: this.snapshot({ status: 'in_progress' }) });
    }
    const { code, message, param } = error.body.error;
    this.emit('error', { code, message, param });
    this.emit('response.failed', { response: this.snapshot({ status: 'failed', error: { code: failureCode(code), message } }) });
    return this.text;
  }
}
