/**
 * CI's composition check: this subgraph must keep composing into a supergraph with another subgraph that extends
 * `Model`. A schema change that breaks federation (a renamed key, a type clash) fails here, before any router does.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCompose } from '../../src/cli/compose.ts';
import { GATEWAY_SUBGRAPH_NAME, composeSupergraph, gatewaySubgraph } from '../../src/federation/compose.ts';
import { FAVORITES_SDL } from './favorites-subgraph.ts';

const OUR_URL = 'http://gateway.internal:8000/graphql';
const FAVORITES = { name: 'favorites', url: 'http://favorites.internal:4001/graphql', sdl: FAVORITES_SDL };

describe('supergraph composition', () => {
  it('composes schema/*.graphql with the favorites subgraph without errors', () => {
    const outcome = composeSupergraph([gatewaySubgraph(OUR_URL), FAVORITES]);
    expect(outcome.errors).toEqual([]);
    const sdl = outcome.supergraphSdl!;
    expect(sdl).toContain(`@join__graph(name: "${GATEWAY_SUBGRAPH_NAME}", url: "${OUR_URL}")`);
    expect(sdl).toContain('@join__graph(name: "favorites"');
    // Model is an entity of both subgraphs, keyed by id; favorites contributes favoritedBy.
    expect(sdl).toMatch(/type Model\s+@join__type\(graph: FAVORITES, key: "id"\)\s+@join__type\(graph: TOGETHER, key: "id"\)/);
    expect(sdl).toMatch(/favoritedBy: \[String!\]! @join__field\(graph: FAVORITES\)/);
    // Every root operation survives composition, the subscription included.
    for (const field of ['models(', 'model(', 'gatewayStats(', 'chatCompletion(', 'chatStream(', 'favoriteModels(']) expect(sdl).toContain(field);
  });

  it('fails with an explanation when a subgraph clashes with ours (so this check can fail)', () => {
    const clash = { ...FAVORITES, sdl: FAVORITES_SDL.replace('favoritedBy: [String!]!', 'favoritedBy: [String!]!\n  name: Int') };
    const outcome = composeSupergraph([gatewaySubgraph(OUR_URL), clash]);
    expect(outcome.supergraphSdl).toBeUndefined();
    expect(outcome.errors.join('\n')).toMatch(/Model\.name/);
  });

  it('`npm run compose` writes supergraph.graphql with the subgraphs given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-compose-'));
    const favoritesFile = join(dir, 'favorites.graphql');
    writeFileSync(favoritesFile, FAVORITES_SDL);
    const out = join(dir, 'supergraph.graphql');
    const printed: string[] = [];
    const code = runCompose(['--url', OUR_URL, '--subgraph', `favorites=${FAVORITES.url}=${favoritesFile}`, '--out', out], {
      out: (t) => printed.push(t),
      err: (t) => printed.push(t),
    });
    expect(code, printed.join('')).toBe(0);
    const sdl = readFileSync(out, 'utf8');
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)');
    expect(sdl).toContain(`url: "${OUR_URL}"`);
    expect(sdl).toContain(`url: "${FAVORITES.url}"`);

    const broken = join(dir, 'broken.graphql');
    writeFileSync(broken, FAVORITES_SDL.replace('id: ID!', 'id: Int!'));
    const errors: string[] = [];
    expect(runCompose(['--subgraph', `favorites=${FAVORITES.url}=${broken}`, '--out', join(dir, 'x.graphql')], { out: () => undefined, err: (t) => errors.push(t) })).toBe(1);
    expect(errors.join('')).toContain('composition failed');
  });
});
