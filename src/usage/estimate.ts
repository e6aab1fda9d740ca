import type { ChatRequest, ToolCall, Usage } from '../domain.ts';

/**
 * Token estimates from text, for when Together sends no usage and for the budget reservation made before the
 * call (admission): usage vocabulary, below both chat and auth.
 */

/** Rough tokens for text when Together sent no usage: ~4 characters a token for English. */
export const estimateTokens = (chars: number): number => Math.ceil(chars / 4);

export const toolCallChars = (calls: ToolCall[] | undefined): number =>
  (calls ?? []).reduce((n, c) => n + c.function.name.length + c.function.arguments.length, 0);

/** Characters Together tokenises as the prompt: message text, tool calls in messages, tool definitions. */
export function promptChars(request: ChatRequest): number {
  return (
    request.messages.reduce((n, m) => n + m.content.length + toolCallChars(m.toolCalls), 0) +
    (request.tools ? JSON.stringify(request.tools).length : 0)
  );
}

/**
 * The chat template's allowance in the prompt bound below: what a model's template adds around the text.
 * Measured on Together's recordings (fixtures/together/): a one-line prompt is billed 43 tokens on Llama 3.2
 * (its template adds a dated system header), 75 on gpt-oss (the harmony system message); each message adds its
 * role header and end token (~5 on Llama 3); a tools prompt adds the template's tool instructions (~200).
 */
const TEMPLATE_TOKENS = 128;
const TEMPLATE_TOKENS_PER_MESSAGE = 16;
const TOOLS_TEMPLATE_TOKENS = 512;

const utf8Bytes = (text: string | undefined): number => (text ? Buffer.byteLength(text, 'utf8') : 0);

/**
 * An upper bound on the prompt tokens Together can bill for this request, whatever the script: the UTF-8 bytes
 * of everything the template renders (message text, names, tool calls, tool definitions, the response format)
 * plus the template's allowance. It holds because every tokenizer Together serves is byte-level BPE or
 * SentencePiece with byte fallback: a token never covers less than one byte of text, so text of n bytes is at
 * most n tokens. Budget reservations use it (auth/admission.ts), so "zero overspend with maxTokens" holds on
 * CJK text and emoji too; characters / 3 held only for English (1,000 CJK characters are ~1,000 tokens, not 334).
 */
export function promptTokenBound(request: ChatRequest): number {
  let bytes = 0;
  for (const m of request.messages) {
    bytes += utf8Bytes(m.content) + utf8Bytes(m.name) + utf8Bytes(m.toolCallId);
    for (const call of m.toolCalls ?? []) bytes += utf8Bytes(call.id) + utf8Bytes(call.function.name) + utf8Bytes(call.function.arguments);
  }
  if (request.tools?.length) bytes += utf8Bytes(JSON.stringify(request.tools)) + TOOLS_TEMPLATE_TOKENS;
  if (request.responseFormat) bytes += utf8Bytes(JSON.stringify(request.responseFormat));
  return bytes + TEMPLATE_TOKENS + TEMPLATE_TOKENS_PER_MESSAGE * request.messages.length;
}

/** The prompt estimated from its text (tools included), with the completion tokens counted by the caller. */
export function estimateUsage(request: ChatRequest, completionTokens: number): Usage {
  const promptTokens = estimateTokens(promptChars(request));
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
