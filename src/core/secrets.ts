/**
 * The one scrubber for secrets. Every surface that can show text to someone passes it through
 * `scrubSecrets`: REST error bodies and SSE error lines (src/rest/errors.ts), GraphQL errors over every
 * transport (src/graphql/errors.ts: HTTP, graphql-ws frames and whatever else formats through it) and every
 * log line (src/core/logger.ts). A new surface (traces, say) calls it too instead of growing its own rules.
 *
 * What is a secret:
 * - every value registered here (the Together key, the bootstrap admin key, database and cache passwords),
 *   wherever it hides, including JSON-escaped;
 * - anything shaped like a credential: gateway keys (`gw_` + base64url), Together keys (`tgp_v1_…`), the
 *   token after `Bearer`/`Basic`, the value after "API key …:" (OpenAI-style "Incorrect API key provided: …"),
 *   and the password in a URL's user-info (`postgres://user:pw@host`).
 *
 * What is not: our own help text. A token must look like one (RFC 6750's b64token characters, at least
 * 8 of them), so "send Authorization: Bearer <key>" and "Bearer gw_…" stay as written; URLs without a
 * password ("https://api.together.ai/settings/api-keys") are untouched.
 */

const MASK = '[redacted]';

/**
 * Each rule runs only when its cheap marker is in the text: a literal search is far cheaper than the rule's
 * own regex, and this runs on every log line of the hot path.
 */
interface Rule {
  marker: string | RegExp;
  pattern: RegExp;
  replacement: string;
}

const RULES: Rule[] = [
  // A bearer/basic credential: b64token characters only (so `<key>` and `…` are help text, not secrets).
  { marker: /bearer/i, pattern: /\b(Bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi, replacement: `$1${MASK}` },
  { marker: /basic/i, pattern: /\b(Basic\s+)[A-Za-z0-9+/]{8,}=*/gi, replacement: `$1${MASK}` },
  { marker: 'gw_', pattern: /gw_[A-Za-z0-9_-]{16,}/g, replacement: `gw_${MASK}` },
  { marker: 'tgp_v1_', pattern: /tgp_v1_[A-Za-z0-9_-]+/g, replacement: `tgp_v1_${MASK}` },
  // "Incorrect API key provided: sk-…", "api_key=…": the value, whatever its shape.
  {
    marker: /key/i,
    pattern: /\b(api[ _-]?key(?:\s+(?:provided|given|used|is))?\s*[:=]\s*["']?)[^\s"',;)]{6,}/gi,
    replacement: `$1${MASK}`,
  },
  // scheme://user:password@host → scheme://user:[redacted]@host
  { marker: '://', pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/"']*):[^\s@/"']*@/gi, replacement: `$1:${MASK}@` },
];

const secrets = new Set<string>();

/**
 * Values never to be shown, whatever their shape (the Together key, the bootstrap admin key, a database
 * password). Very short values would mask ordinary words: keys and passwords shorter than 8 characters are
 * still caught by the shape rules where they appear as credentials (URLs, `Bearer`).
 */
export function registerSecrets(...values: Array<string | undefined | null>): void {
  for (const value of values) {
    if (!value || value.length < 8) continue;
    secrets.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) secrets.add(escaped);
    const encoded = encodeURIComponent(value);
    if (encoded !== value) secrets.add(encoded);
  }
}

/** Registers the password of a connection URL (DATABASE_URL, CACHE_URL), if it has one. */
export function registerUrlPassword(url: string | undefined): void {
  if (!url) return;
  try {
    const password = new URL(url).password;
    if (password) registerSecrets(password, decodeURIComponent(password));
  } catch {
    // Not a URL (a SQLite path): nothing to register.
  }
}

/** `text` with every secret masked; the same string when there is none (no allocation on a clean line). */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
  for (const rule of RULES) {
    const present = typeof rule.marker === 'string' ? out.includes(rule.marker) : rule.marker.test(out);
    if (present) out = out.replace(rule.pattern, rule.replacement);
  }
  return out;
}
