/**
 * The routers the federation tests put in front of the gateway (Apollo Gateway, Hive Gateway's runtime and its
 * transports) live in tests/federation/tools/, a folder with its own package.json and lock file: the root
 * `npm ci` does not carry them. The first test file to need them installs the folder (once, even with test
 * files in parallel: scripts/tool-folder.ts), then imports them from there.
 *
 * graphql is not installed in that folder: its packages use the root's copy, so the schema Apollo Gateway builds is
 * the same graphql-js as the root's @apollo/server's.
 */
import { importFrom } from '../../scripts/tool-folder.ts';
import type * as Tools from './tools/index.js';

export type { GatewayRuntime } from './tools/index.js';

export const loadRouterTools = (): Promise<typeof Tools> => importFrom<typeof Tools>('tests/federation/tools', 'index.js');
