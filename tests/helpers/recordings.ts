/**
 * Reads Together's recorded fixtures independently of the gateway's own wire code, to say what a client must
 * see: the answer, reasoning and tool calls assembled, the finish reason, usage, seed (as the digits in the
 * raw text) and the cost computed from the catalog file's prices.
 */
import { readFileSync, readdirSync } from 'node:fs';

export const FIXTURES_DIR = new URL('../../fixtures/together/', import.meta.url);

export const fixtureText = (name: string, dir: URL = FIXTURES_DIR): string => readFileSync(new URL(name, dir), 'utf8');

export const fixtureNames = (): string[] => readdirSync(FIXTURES_DIR).sort();

export interface ExpectedToolCall {
  id: string;
  type: 'FUNCTION';
  function: { name: string; arguments: string };
}

export interface ExpectedDelta {
  delta: string;
  reasoningDelta: string;
  toolCallDeltas: Array<{ index: number; id: string | null; name: string | null; argumentsDelta: string }>;
}

export interface ExpectedAnswer {
  id: string;
  /** As Together reports it (e.g. with `-cached`). */
  model: string;
  content: string;
  reasoning: string;
  toolCalls: ExpectedToolCall[];
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number; totalTokens: number; cachedTokens: number | null; reasoningTokens: number | null; estimated: false };
  /** Digits exactly as in the recording, or null. */
  seed: string | null;
  /** Stream only: the events a client must receive before the last one, in order. */
  deltas: ExpectedDelta[];
}

const FINISH: Record<string, string> = { stop: 'STOP', eos: 'STOP', length: 'LENGTH', tool_calls: 'TOOL_CALLS' };

function usageOf(u: any): ExpectedAnswer['usage'] {
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    totalTokens: u.total_tokens,
    cachedTokens: u.cached_tokens ?? u.prompt_tokens_details?.cached_tokens ?? null,
    reasoningTokens: u.reasoning_tokens ?? u.completion_tokens_details?.reasoning_tokens ?? null,
    estimated: false,
  };
}

/** `data: …` events of an SSE file, raw and parsed, without `[DONE]`. */
export function sseEvents(text: string): Array<{ raw: string; json: any }> {
  return text
    .split('\n\n')
    .map((e) => e.trim())
    .filter((e) => e.startsWith('data: ') && e !== 'data: [DONE]')
    .map((e) => ({ raw: e.slice(6), json: JSON.parse(e.slice(6)) }));
}

export function expectedFromStream(text: string): ExpectedAnswer {
  let id = '';
  let model = '';
  let content = '';
  let reasoning = '';
  let finish: string | null = null;
  let usage: any = null;
  let seed: string | null = null;
  let toolCallSeen = false;
  const calls: Array<{ id: string | null; name: string | null; arguments: string }> = [];
  const deltas: ExpectedDelta[] = [];
  for (const { raw, json } of sseEvents(text)) {
    id = json.id;
    model = json.model;
    if (json.usage) usage = json.usage;
    const choice = json.choices[0];
    if (!choice) continue;
    finish ??= choice.finish_reason ?? null;
    seed = /"seed":(\d+)/.exec(raw)?.[1] ?? seed;
    const d = choice.delta ?? {};
    const event: ExpectedDelta = {
      delta: typeof d.content === 'string' ? d.content : '',
      reasoningDelta: typeof d.reasoning === 'string' ? d.reasoning : '',
      toolCallDeltas: (d.tool_calls ?? []).map((t: any) => ({
        index: t.index,
        id: t.id ?? null,
        name: t.function?.name ?? null,
        argumentsDelta: t.function?.arguments ?? '',
      })),
    };
    content += event.delta;
    reasoning += event.reasoningDelta;
    for (const t of event.toolCallDeltas) {
      toolCallSeen = true;
      const call = (calls[t.index] ??= { id: null, name: null, arguments: '' });
      call.id ??= t.id;
      call.name ??= t.name;
      call.arguments += t.argumentsDelta;
    }
    if (event.delta !== '' || event.reasoningDelta !== '' || event.toolCallDeltas.length > 0) deltas.push(event);
  }
  return {
    id,
    model,
    content,
    reasoning,
    toolCalls: calls.map((c) => ({ id: c.id!, type: 'FUNCTION', function: { name: c.name!, arguments: c.arguments } })),
    finishReason: toolCallSeen && finish === 'stop' ? 'TOOL_CALLS' : FINISH[finish ?? 'stop']!,
    usage: usageOf(usage),
    seed,
    deltas,
  };
}

export function expectedFromChat(text: string): ExpectedAnswer {
  const body = JSON.parse(text);
  const choice = body.choices[0];
  const message = choice.message;
  return {
    id: body.id,
    model: body.model,
    content: message.content ?? '',
    reasoning: message.reasoning ?? '',
    toolCalls: (message.tool_calls ?? []).map((c: any) => ({ id: c.id, type: 'FUNCTION', function: { name: c.function.name, arguments: c.function.arguments } })),
    // The AIProxySwift JSON-mode recording has no finish_reason at all: the gateway says STOP.
    finishReason: FINISH[choice.finish_reason ?? 'stop']!,
    usage: usageOf(body.usage),
    seed: /"seed":\s*(\d+)/.exec(text)?.[1] ?? null,
    deltas: [],
  };
}

/** A catalog file's raw entry for a model id (case-insensitive, as the gateway looks models up). */
export function catalogEntry(modelsFile: string, id: string, dir: URL = FIXTURES_DIR): any {
  const list = JSON.parse(fixtureText(modelsFile, dir)) as any[];
  return list.find((m) => m.id.toLowerCase() === id.toLowerCase());
}

/**
 * The documented formula, from the catalog file's raw prices:
 * ((prompt − cached) × input + cached × cached_input + completion × output) / 1e6, cached tokens billed at the
 * input price when the catalog lists no cached price; null when the model lists no per-token price.
 */
export function expectedCost(pricing: any, usage: { promptTokens: number; completionTokens: number; cachedTokens: number | null }): number | null {
  if (!pricing || (!(pricing.input > 0) && !(pricing.output > 0))) return null;
  const cachedPrice = pricing.cached_input > 0 ? pricing.cached_input : null;
  const cached = cachedPrice === null ? 0 : Math.min(usage.cachedTokens ?? 0, usage.promptTokens);
  return ((usage.promptTokens - cached) * pricing.input + cached * (cachedPrice ?? pricing.input) + usage.completionTokens * pricing.output) / 1e6;
}

/** What a client does with the stream's events: concatenate the texts, assemble the tool calls by index. */
export function assemble(events: any[]): { content: string; reasoning: string; toolCalls: ExpectedToolCall[] } {
  const calls: Array<{ id: string | null; name: string | null; arguments: string }> = [];
  for (const e of events) {
    for (const t of e.toolCallDeltas ?? []) {
      const call = (calls[t.index] ??= { id: null, name: null, arguments: '' });
      call.id ??= t.id;
      call.name ??= t.name;
      call.arguments += t.argumentsDelta;
    }
  }
  return {
    content: events.map((e) => e.delta).join(''),
    reasoning: events.map((e) => e.reasoningDelta).join(''),
    toolCalls: calls.map((c) => ({ id: c.id!, type: 'FUNCTION', function: { name: c.name!, arguments: c.arguments } })),
  };
}
