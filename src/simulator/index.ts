/**
 * Together AI-compatible HTTP simulator (real server on a port) for tests, benchmarks and the demo.
 * Serves GET /v1/models and POST /v1/chat/completions in Together's recorded wire format, with
 * queueable faults, and a control API at /__sim/{faults,stats,reset} for child processes.
 */
export { createTogetherSimulator } from './server.ts';
export { synthesizeReply, defaultUsageStyle, SYNTH_SEED } from './synth.ts';
export type { SynthReply } from './synth.ts';
export { DEFAULT_FIXTURES_DIR, loadScenario, scenarioFileName } from './fixtures.ts';
export { errorForStatus, RATE_LIMIT_HEADERS } from './errors.ts';
export { normalizeFault } from './faults.ts';
export type {
  Fault,
  RecordedRequest,
  SimulatorOptions,
  SimulatorStats,
  TogetherSimulator,
  UsageStyle,
} from './types.ts';
