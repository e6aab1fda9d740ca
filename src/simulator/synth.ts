/** Deterministic synthetic replies in Together's wire format. */
import { simId } from './errors.ts';
import { type SynthToolCall, synthesizeToolCall, toolResultText } from './tools.ts';
import type { UsageStyle } from './types.ts';

export interface SynthReply {
  tokens: string[];
  promptTokens: number;
  finishReason: 'stop' | 'length' | 'tool_calls';
  /** A call of a tool instead of text (tools.ts); `tokens` is then empty. */
  toolCall?: SynthToolCall;
  /** Replaces fields of the computed usage (the `usage` fault). */
  usageOverride?: Record<string, number> | undefined;
}

/** Seed written on the finish chunk: > 2^53 like Together's (already float-rounded) seeds. */
export const SYNTH_SEED = 12658879820317954000;
/** Llama's <|eot_id|>, the token_id Together puts on the finish chunk. */
export const EOT_TOKEN_ID = 128009;

/** Text of a message `content` (string, or array of `{type:'text', text}` parts joined by spaces). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : ''))
      .filter((t) => t !== '')
      .join(' ');
  }
  return '';
}

function words(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

/**
 * Prompt tokens of a text: one per word, except that each character of three or more UTF-8 bytes (CJK,
 * emoji) is a token of its own, as real BPE tokenizers make them (Llama 3's gives about one token per CJK
 * character: 1,000 of them in one word are ~1,000 tokens, not 1). Budgets must hold on such text (issue 16).
 */
function promptTokensOf(text: string): number {
  let tokens = 0;
  for (const word of words(text)) {
    let wide = 0;
    let narrow = 0;
    for (const ch of word) if (ch.codePointAt(0)! >= 0x800) wide++;
    else narrow++;
    tokens += wide + (narrow > 0 ? 1 : 0);
  }
  return tokens;
}

/**
 * The reply the simulator gives when no scenario is forced:
 * text = `Echo: ` + last user message content, tokenised on whitespace, every token after the
 * first carrying one leading space (["Echo:", " hello", " world"]).
 * promptTokens = words across all message contents (each CJK character or emoji one token: promptTokensOf)
 * + 3 × messages.
 * `max_tokens` smaller than the token count truncates and finishes with "length".
 */
export function synthesizeReply(body: any): SynthReply {
  const messages: unknown[] = Array.isArray(body?.messages) ? body.messages : [];
  let promptWords = 0;
  let lastUser = '';
  for (const m of messages) {
    const content = m && typeof m === 'object' ? (m as { content?: unknown }).content : undefined;
    const text = contentText(content);
    promptWords += promptTokensOf(text);
    if ((m as { role?: unknown } | null)?.role === 'user') lastUser = text;
  }
  const promptTokens = promptWords + 3 * messages.length;
  const toolCall = synthesizeToolCall(body ?? {}, messages, lastUser);
  if (toolCall) return { tokens: [], promptTokens, finishReason: 'tool_calls', toolCall };
  const toolResult = toolResultText(messages, contentText);
  const text = toolResult === undefined ? `Echo: ${lastUser}` : `The tool returned: ${toolResult}`;
  let tokens = words(text).map((w, i) => (i === 0 ? w : ' ' + w));
  let finishReason: SynthReply['finishReason'] = 'stop';
  const max = body?.max_tokens;
  if (typeof max === 'number' && Number.isFinite(max) && max >= 0 && max < tokens.length) {
    tokens = tokens.slice(0, Math.floor(max));
    finishReason = 'length';
  }
  return { tokens, promptTokens, finishReason };
}

/** Deterministic fake token id (FNV-1a of the token text, within Llama-3's vocabulary). */
export function tokenId(tok: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tok.length; i++) {
    h ^= tok.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % 128000;
}

/** A tool call's completion tokens: its name and arguments at ~4 characters a token, plus 3 for the call's framing. */
const completionTokens = (r: SynthReply): number =>
  r.toolCall ? Math.ceil((r.toolCall.name.length + r.toolCall.arguments.length) / 4) + 3 : r.tokens.length;

export function usageOf(r: SynthReply) {
  const completion = completionTokens(r);
  return {
    prompt_tokens: r.promptTokens,
    completion_tokens: completion,
    total_tokens: r.promptTokens + completion,
    cached_tokens: 0,
    ...r.usageOverride,
  };
}

/** gpt-oss / DeepSeek / Kimi put usage on a separate `choices: []` chunk; Llama on the finish chunk. */
export function defaultUsageStyle(model: string): UsageStyle {
  return /^(openai|deepseek-ai|moonshotai)\//.test(model) ? 'separate' : 'finish';
}

/** Non-stream `chat.completion` body (shape of chat-llama32-3b-text.json). */
export function completionBody(model: string, r: SynthReply): string {
  return JSON.stringify({
    id: simId(),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    prompt: [],
    choices: [
      {
        finish_reason: r.finishReason,
        seed: SYNTH_SEED,
        logprobs: null,
        index: 0,
        message: r.toolCall
          ? { role: 'assistant', content: null, tool_calls: [{ index: 0, id: r.toolCall.id, type: 'function', function: { arguments: r.toolCall.arguments, name: r.toolCall.name } }] }
          : { role: 'assistant', content: r.tokens.join(''), tool_calls: [] },
      },
    ],
    usage: usageOf(r),
  });
}

/** SSE events (`data: {...}` without the blank line), excluding the final `data: [DONE]`. */
export function streamEvents(model: string, r: SynthReply, style: UsageStyle): string[] {
  const id = simId();
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], usage: unknown) =>
    'data: ' + JSON.stringify({ id, object: 'chat.completion.chunk', created, choices, model, usage });
  const choice = (text: string, tid: number, finish: string | null, seed: number | null) => ({
    index: 0,
    text,
    logprobs: null,
    finish_reason: finish,
    seed,
    delta: { token_id: tid, role: 'assistant', content: text, tool_calls: null },
  });
  const out = r.tokens.map((t) => chunk([choice(t, tokenId(t), null, null)], null));
  if (r.toolCall) {
    // stream-tool-call-llama33-70b.sse: the call's id and name with empty arguments, then the arguments on a chunk
    // that already says finish_reason "tool_calls" (Together repeats it on the finish chunk).
    const delta = (toolCalls: unknown[]) => ({ token_id: null, role: 'assistant', content: '', tool_calls: toolCalls });
    const toolChunk = (toolCalls: unknown[], finish: string | null) =>
      chunk([{ index: 0, text: '', logprobs: null, finish_reason: finish, delta: delta(toolCalls) }], null);
    out.push(toolChunk([{ index: 0, id: r.toolCall.id, type: 'function', function: { name: r.toolCall.name, arguments: '' } }], null));
    out.push(toolChunk([{ index: 0, function: { arguments: r.toolCall.arguments } }], 'tool_calls'));
  }
  const usage = usageOf(r);
  out.push(chunk([choice('', EOT_TOKEN_ID, r.finishReason, SYNTH_SEED)], style === 'finish' ? usage : null));
  if (style === 'separate') out.push(chunk([], usage));
  return out;
}
