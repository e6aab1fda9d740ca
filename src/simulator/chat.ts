/** POST /v1/chat/completions: validation, synthetic replies, scenario replay and stream faults. */
import { loadScenario, type Fixtures } from './fixtures.ts';
import { errorBody, invalidJson, JSON_CT, modelNotAvailable, promptEmpty } from './errors.ts';
import { completionBody, defaultUsageStyle, streamEvents, synthesizeReply } from './synth.ts';
import type { ReqCtx } from './ctx.ts';
import type { Fault, SimulatorOptions, SimulatorStats } from './types.ts';

export const SSE_CT = 'text/event-stream;charset=utf-8';
const DONE = 'data: [DONE]';
const BROKEN = 'data: {"id":"broken",';

export interface ChatDeps {
  opts: SimulatorOptions;
  fixtures: Fixtures;
  stats: SimulatorStats;
}

/** `body` is the parsed JSON, or undefined with `parseError` set. */
export async function handleChat(
  deps: ChatDeps,
  ctx: ReqCtx,
  body: unknown,
  parseError: string | undefined,
  fault: Fault | undefined,
  extraHeaders: Record<string, string>,
): Promise<void> {
  const { fixtures } = deps;
  const sendCanned = (c: { status: number; headers: Record<string, string>; body: string }) =>
    ctx.send(c.status, { ...c.headers, ...extraHeaders }, c.body);

  if (parseError !== undefined) return sendCanned(invalidJson(parseError));
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return sendCanned(invalidJson('request body must be a JSON object'));
  }
  const req = body as Record<string, unknown>;
  const stream = req.stream === true;
  const model = typeof req.model === 'string' ? req.model : String(req.model ?? '');

  if (fault?.scenario === undefined && !fixtures.modelIds.has(model)) {
    return sendCanned(modelNotAvailable(fixtures.errors, model));
  }
  if (!Array.isArray(req.messages) || req.messages.length === 0) return sendCanned(promptEmpty(fixtures.errors));

  if (!stream && fault) {
    // Non-stream: a cut drops the connection without a response; a stall never answers.
    if (fault.cutAfterChunks !== undefined) return ctx.destroy();
    if (fault.stallAfterChunks !== undefined) {
      await ctx.hang();
      deps.stats.abortedRequests++;
      return;
    }
  }

  let chunks: string[];
  if (fault?.scenario !== undefined) {
    const sc = loadScenario(fixtures.dir, fault.scenario, stream);
    if (!sc) {
      return ctx.send(
        500,
        { 'content-type': JSON_CT },
        errorBody(`simulator: no ${stream ? 'stream' : 'chat'} fixture for scenario '${fault.scenario}'`, 'simulator_error'),
      );
    }
    if (sc.kind === 'json') return ctx.send(200, { 'content-type': JSON_CT, ...extraHeaders }, sc.body);
    chunks = sc.events[sc.events.length - 1] === DONE ? sc.events.slice(0, -1) : sc.events;
  } else {
    const reply = { ...synthesizeReply(req), usageOverride: fault?.usage };
    if (!stream) return ctx.send(200, { 'content-type': JSON_CT, ...extraHeaders }, completionBody(model, reply));
    const style = fault?.usageStyle ?? deps.opts.usageStyle ?? defaultUsageStyle(model);
    chunks = streamEvents(model, reply, style);
  }
  return writeStream(deps, ctx, chunks, fault, extraHeaders);
}

/** Write SSE chunks one `res.write` each, honouring chunk delay / stall / cut / malformed faults. */
async function writeStream(
  deps: ChatDeps,
  ctx: ReqCtx,
  chunks: string[],
  fault: Fault | undefined,
  extraHeaders: Record<string, string>,
): Promise<void> {
  const { stats } = deps;
  if (!ctx.writable) return;
  const res = ctx.res;
  let state: 'open' | 'done' | 'cut' = 'open';
  res.writeHead(200, { 'content-type': SSE_CT, 'cache-control': 'no-cache', ...extraHeaders });
  res.flushHeaders();
  stats.openStreams++;
  res.once('close', () => {
    if (state === 'done') return;
    stats.openStreams--;
    if (state === 'cut') stats.cutStreams++;
    else stats.abortedStreams++;
    state = 'done';
  });

  const delay = fault?.chunkDelayMs ?? deps.opts.chunkDelayMs ?? 0;
  const stall = fault?.stallAfterChunks;
  const cut = fault?.cutAfterChunks;
  const malformed = fault?.malformedAtChunk;
  for (let i = 0; i <= chunks.length; i++) {
    if (stall !== undefined && i >= stall) return ctx.hang();
    if (cut !== undefined && i >= cut) {
      state = 'cut';
      // Let the chunks already written reach the client before the connection dies.
      await ctx.flushed();
      return ctx.destroy();
    }
    if (i > 0 && delay > 0 && !(await ctx.sleep(delay))) return;
    if (i === 0 && fault?.firstChunkDelayMs && !(await ctx.sleep(fault.firstChunkDelayMs))) return;
    const data = i === chunks.length ? DONE : i === malformed ? BROKEN : chunks[i]!;
    if (!(await ctx.write(data + '\n\n'))) return;
  }
  if (!ctx.writable) return;
  state = 'done';
  stats.openStreams--;
  stats.completedStreams++;
  try {
    res.end();
  } catch {
    /* ignore */
  }
}
