/** The few checks every wire format's translation makes on a parsed JSON body. */

export type Json = Record<string, unknown>;

/** A JSON object: not null, not an array. */
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Absent or null: OpenAI and Anthropic bodies use both for "not given". */
export const absent = (v: unknown): v is null | undefined => v === null || v === undefined;
