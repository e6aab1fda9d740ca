import type { ChatMessage, ChatRequest, ChatRole } from '../domain.ts';
import { badInput } from '../errors.ts';

/** What a face (GraphQL input or REST body) hands in, before validation. */
export interface ChatInput {
  model: string;
  provider?: string | null | undefined;
  messages: Array<{ role: ChatRole; content: string; name?: string | null | undefined }>;
  maxTokens?: number | null | undefined;
  temperature?: number | null | undefined;
  topP?: number | null | undefined;
  stop?: string[] | null | undefined;
  seed?: number | null | undefined;
}

export interface ChatLimits {
  maxMessages: number;
  maxMessageChars: number;
}

const ROLES = new Set<ChatRole>(['SYSTEM', 'USER', 'ASSISTANT', 'TOOL']);
const MAX_STOP_SEQUENCES = 4;

const present = <T>(v: T | null | undefined): v is T => v !== null && v !== undefined;

function numberIn(value: number | null | undefined, field: string, min: number, max: number, integer = false): number | undefined {
  if (!present(value)) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw badInput(`${field} must be a${integer ? 'n integer' : ' number'}`, field);
  }
  if (value < min || value > max) throw badInput(`${field} must be between ${min} and ${max} (got ${value})`, field);
  return value;
}

/** Every rule is checked before any upstream call: a bad request costs nothing and tells the caller why. */
export function validateChatInput(input: ChatInput, limits: ChatLimits): ChatRequest {
  const model = typeof input.model === 'string' ? input.model.trim() : '';
  if (!model) throw badInput('model must not be empty', 'model');
  if (model.length > 256) throw badInput('model is too long', 'model');
  if (!Array.isArray(input.messages) || input.messages.length === 0) throw badInput('messages must not be empty', 'messages');
  if (input.messages.length > limits.maxMessages) {
    throw badInput(`messages may hold at most ${limits.maxMessages} entries`, 'messages');
  }
  let anyText = false;
  const messages: ChatMessage[] = input.messages.map((m, i) => {
    if (!m || !ROLES.has(m.role)) throw badInput(`messages[${i}].role must be one of ${[...ROLES].join(', ')}`, `messages.${i}.role`);
    if (typeof m.content !== 'string') throw badInput(`messages[${i}].content must be a string`, `messages.${i}.content`);
    if (m.content.length > limits.maxMessageChars) {
      throw badInput(`messages[${i}].content exceeds ${limits.maxMessageChars} characters`, `messages.${i}.content`);
    }
    if (m.content.trim() !== '') anyText = true;
    return present(m.name) && m.name !== '' ? { role: m.role, content: m.content, name: m.name } : { role: m.role, content: m.content };
  });
  if (!anyText) throw badInput('messages must contain some text', 'messages');
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
  return {
    model,
    messages,
    maxTokens: numberIn(input.maxTokens, 'maxTokens', 1, 10_000_000, true),
    temperature: numberIn(input.temperature, 'temperature', 0, 2),
    topP: numberIn(input.topP, 'topP', 0, 1),
    stop,
    seed: numberIn(input.seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
  };
}
