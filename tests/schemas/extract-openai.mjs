// Regenerates openai-openapi-subset.json from OpenAI's published OpenAPI description:
//   git clone https://github.com/openai/openai-openapi && node tests/schemas/extract-openai.mjs openai-openapi/openapi.json <commit>
// It keeps only the schemas the gateway's OpenAI-compatible routes answer with, and every schema they reference.
import { readFileSync, writeFileSync } from 'node:fs';

const [file, commit] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(file, 'utf8'));
const ROOTS = ['CreateChatCompletionResponse', 'CreateChatCompletionStreamResponse', 'ListModelsResponse', 'Model', 'Response', 'ResponseStreamEvent', 'ErrorResponse'];
const all = spec.components.schemas;
const keep = {};
/** Drops prose (descriptions, examples, OpenAI's doc metadata); keeps every keyword that validates. Property maps are walked, not stripped. */
const PROSE = new Set(['description', 'title', 'example', 'examples', 'x-oaiMeta', 'x-oaiTypeLabel', 'x-oaiExpandable', 'x-stainless-const', 'x-stainless-skip']);
const strip = (node) => {
  if (Array.isArray(node)) return node.map(strip);
  if (!node || typeof node !== 'object') return node;
  // A few OpenAPI 3.0 `nullable: true` leftovers (one beside a $ref): the same meaning in standard JSON Schema.
  if (node.nullable === true) {
    const { nullable, ...rest } = node;
    return { anyOf: [strip(rest), { type: 'null' }] };
  }
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => !PROSE.has(k))
      .map(([k, v]) => [k, k === 'properties' || k === 'patternProperties' ? Object.fromEntries(Object.entries(v).map(([p, s]) => [p, strip(s)])) : strip(v)]),
  );
};
const visit = (name) => {
  if (keep[name]) return;
  keep[name] = strip(all[name]);
  JSON.stringify(all[name]).replace(/"#\/components\/schemas\/([^"]+)"/g, (_, ref) => visit(ref));
};
ROOTS.forEach(visit);
const out = {
  $comment: `OpenAI's published OpenAPI description, schemas only, prose dropped, OpenAPI 3.0 nullable rewritten as anyOf null (the roots ${ROOTS.join(', ')} and what they reference). Source: github.com/openai/openai-openapi, openapi.json, info.version ${spec.info.version} (OpenAPI ${spec.openapi}), commit ${commit}. Regenerate with tests/schemas/extract-openai.mjs.`,
  components: { schemas: Object.fromEntries(Object.keys(keep).sort().map((k) => [k, keep[k]])) },
};
writeFileSync(new URL('./openai-openapi-subset.json', import.meta.url), JSON.stringify(out, null, 1) + '\n');
console.log(`${Object.keys(keep).length} schemas`);
