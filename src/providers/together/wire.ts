import type { ChatCompletionCreateParamsBase } from 'openai/resources/chat/completions';
import type { ChatRequest, FinishReason, ProviderStreamChunk, Usage } from '../../domain.ts';

const ROLE: Record<ChatRequest['messages'][number]['role'], 'system' | 'user' | 'assistant' | 'tool'> = {
  SYSTEM: 'system',
  USER: 'user',
  ASSISTANT: 'assistant',
  TOOL: 'tool',
};

/** Our validated request → the body Together expects (OpenAI-compatible, snake_case). */
export function toTogetherParams(request: ChatRequest): ChatCompletionCreateParamsBase {
  const params: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map((m) => (m.name ? { role: ROLE[m.role], content: m.content, name: m.name } : { role: ROLE[m.role], content: m.content })),
  };
  if (request.maxTokens !== undefined) params.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) params.temperature = request.temperature;
  if (request.topP !== undefined) params.top_p = request.topP;
  if (request.stop !== undefined && request.stop.length > 0) params.stop = request.stop;
  if (request.seed !== undefined) params.seed = request.seed;
  return params as unknown as ChatCompletionCreateParamsBase;
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

/** Together's usage (with its extras `cached_tokens`, `reasoning_tokens`, `*_details`) → ours; null when absent. */
export function mapUsage(raw: unknown): Usage | null {
  if (!raw || typeof raw !== 'object') return null;
  const u = raw as Record<string, unknown>;
  const promptTokens = count(u.prompt_tokens);
  const completionTokens = count(u.completion_tokens);
  const details = (u.prompt_tokens_details ?? {}) as Record<string, unknown>;
  const completionDetails = (u.completion_tokens_details ?? {}) as Record<string, unknown>;
  const cached = u.cached_tokens ?? details.cached_tokens;
  const reasoning = u.reasoning_tokens ?? completionDetails.reasoning_tokens;
  return {
    promptTokens,
    completionTokens,
    totalTokens: typeof u.total_tokens === 'number' ? count(u.total_tokens) : promptTokens + completionTokens,
    cachedTokens: typeof cached === 'number' ? count(cached) : undefined,
    reasoningTokens: typeof reasoning === 'number' ? count(reasoning) : undefined,
  };
}

interface RawChunk {
  id?: string;
  model?: string;
  choices?: Array<{ index?: number; finish_reason?: unknown; delta?: { content?: unknown; reasoning?: unknown; reasoning_content?: unknown } }>;
  usage?: unknown;
}

/**
 * One SSE chunk → our chunk. Usage arrives either on the finish chunk (Llama) or on a separate chunk with
 * `choices: []` (gpt-oss, DeepSeek, Kimi); both land in `usage` here and the caller keeps the last one.
 */
export function mapStreamChunk(raw: unknown): ProviderStreamChunk {
  const chunk = (raw ?? {}) as RawChunk;
  const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
  const delta = choice?.delta;
  const reasoning = delta?.reasoning ?? delta?.reasoning_content;
  return {
    id: chunk.id,
    model: chunk.model,
    delta: typeof delta?.content === 'string' ? delta.content : '',
    reasoningDelta: typeof reasoning === 'string' ? reasoning : '',
    finishReason: mapFinishReason(choice?.finish_reason),
    usage: mapUsage(chunk.usage),
  };
}
