/**
 * `npm run compose -- [--url URL] [--name NAME] [--subgraph NAME=URL=FILE.graphql ...] [--out supergraph.graphql]`
 *
 * Composes this gateway's subgraph (schema/*.graphql, routed to --url, default http://127.0.0.1:8000/graphql)
 * with the other subgraphs given, and writes the supergraph SDL a router loads (Apollo Router's
 * `--supergraph`, Hive Gateway's `supergraph`). Composition errors are printed and the exit code is 1.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { type SubgraphDefinition, composeSupergraph, gatewaySubgraph } from '../federation/compose.ts';

export interface ComposeIo {
  out(text: string): void;
  err(text: string): void;
}

export function runCompose(argv: string[], io: ComposeIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: 'string', default: process.env.SUBGRAPH_URL ?? 'http://127.0.0.1:8000/graphql' },
      name: { type: 'string' },
      subgraph: { type: 'string', multiple: true, default: [] },
      out: { type: 'string', default: 'supergraph.graphql' },
    },
    strict: true,
  });
  const subgraphs: SubgraphDefinition[] = [gatewaySubgraph(values.url, values.name)];
  for (const spec of values.subgraph) {
    const [name, url, file, ...rest] = spec.split('=');
    if (!name || !url || !file || rest.length) {
      io.err(`--subgraph takes NAME=URL=FILE.graphql (got ${JSON.stringify(spec)})\n`);
      return 2;
    }
    subgraphs.push({ name, url, sdl: readFileSync(resolve(file), 'utf8') });
  }
  const outcome = composeSupergraph(subgraphs);
  if (!outcome.supergraphSdl) {
    io.err(`composition failed:\n${outcome.errors.map((e) => `  - ${e}`).join('\n')}\n`);
    return 1;
  }
  writeFileSync(resolve(values.out), outcome.supergraphSdl.endsWith('\n') ? outcome.supergraphSdl : `${outcome.supergraphSdl}\n`);
  io.out(`wrote ${values.out} (${subgraphs.map((s) => `${s.name} → ${s.url}`).join(', ')})\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = runCompose(process.argv.slice(2));
}
