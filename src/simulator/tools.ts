/**
 * Tool calls, deterministically, so the demo and the tests can walk a whole tool loop offline:
 *
 *  1. A request with `tools` (and `tool_choice` not "none") whose last message is not a tool result gets a call
 *     of the first tool (or of the function `tool_choice` names), `finish_reason: "tool_calls"`, no text.
 *     Its arguments are built from the last user message, per the tool's JSON Schema `properties` (the required
 *     ones, else the first): a string gets the prompt's last word (punctuation dropped: "weather in Paris?" →
 *     "Paris"), a number or integer the prompt's first number (else its word count), a boolean true, an enum its
 *     first value, an array `[that string]`, an object `{}`.
 *  2. Once the last message is a tool result (`role: "tool"`), a final text answer quoting it:
 *     `The tool returned: <content>` (`finish_reason: "stop"`).
 *
 * Shapes are Together's, from the recorded tool-call fixtures in fixtures/together/ (copied from the shared
 * /work/shared/fixtures/together/; sources in its README): non-stream from chat-llama33-70b-tool-loop-1.json (`content: null`, `tool_calls` with
 * `index`, `id`, `type`, `function.{name, arguments}`); stream from stream-tool-call-llama33-70b.sse (a chunk
 * with the call's id and name and empty arguments, then one with the arguments and `finish_reason:
 * "tool_calls"`, then the finish chunk with token_id 128009, the seed and, Llama-style, the usage).
 */

export interface SynthToolCall {
  id: string;
  name: string;
  /** JSON text, as Together sends it. */
  arguments: string;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The function a request's `tools` / `tool_choice` ask for, or undefined when no call should be made. */
function chosenTool(body: Json): Json | undefined {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  const functions = tools.map((t) => t.function).filter(isObject);
  if (functions.length === 0) return undefined;
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  const named = isObject(choice) && isObject(choice.function) ? choice.function.name : undefined;
  if (typeof named === 'string') return functions.find((f) => f.name === named) ?? functions[0];
  return functions[0];
}

function valueFor(schema: unknown, prompt: string): unknown {
  const s = isObject(schema) ? schema : {};
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  const words = prompt.split(/\s+/).map((w) => w.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter((w) => w !== '');
  const lastWord = words.at(-1) ?? '';
  switch (type) {
    case 'number':
    case 'integer': {
      const found = /-?\d+(\.\d+)?/.exec(prompt);
      const n = found ? Number(found[0]) : words.length;
      return type === 'integer' ? Math.trunc(n) : n;
    }
    case 'boolean':
      return true;
    case 'array':
      return [valueFor(s.items, prompt)];
    case 'object':
      return {};
    default:
      return lastWord;
  }
}

/** FNV-1a, for ids that are the same for the same call (deterministic replies, stable recordings). */
function fnv(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

/** The call to make for this request (step 1 above), or undefined (no tools, tool_choice "none", or a tool result came back). */
export function synthesizeToolCall(body: Json, messages: unknown[], lastUserText: string): SynthToolCall | undefined {
  const last = messages.at(-1);
  if (isObject(last) && last.role === 'tool') return undefined;
  const fn = chosenTool(body);
  if (!fn || typeof fn.name !== 'string') return undefined;
  const params = isObject(fn.parameters) ? fn.parameters : {};
  const properties = isObject(params.properties) ? params.properties : {};
  const required = Array.isArray(params.required) ? params.required.filter((r): r is string => typeof r === 'string' && r in properties) : [];
  const names = required.length > 0 ? required : Object.keys(properties).slice(0, 1);
  const args: Json = {};
  for (const name of names) args[name] = valueFor(properties[name], lastUserText);
  const argumentsJson = JSON.stringify(args);
  return { id: `call_${fnv(`${fn.name}${argumentsJson}`).padStart(7, '0')}sim${fnv(lastUserText).padStart(7, '0')}`, name: fn.name, arguments: argumentsJson };
}

/** The text of the last tool result, when the conversation ends with one (step 2 above). */
export function toolResultText(messages: unknown[], text: (content: unknown) => string): string | undefined {
  const last = messages.at(-1);
  return isObject(last) && last.role === 'tool' ? text(last.content) : undefined;
}
