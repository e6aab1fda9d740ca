/**
 * Preload for a gateway under bench/alloc: V8's sampling heap profiler, keeping the objects that garbage
 * collection already freed (what a young-generation collection pays for is everything allocated, not what
 * survives), and the pause of every young-generation collection (scavenge). SIGUSR1 starts both; SIGUSR2 stops
 * them and writes `{ profile, scavengePausesMs }` to $ALLOC_PROFILE_OUT (whole, by a rename).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
await post('HeapProfiler.enable');

let scavengePausesMs = [];
const gc = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (entry.detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavengePausesMs.push(entry.duration);
});

process.on('SIGUSR1', () => {
  scavengePausesMs = [];
  gc.observe({ entryTypes: ['gc'] });
  void post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
});
process.on('SIGUSR2', async () => {
  const { profile } = await post('HeapProfiler.stopSampling');
  gc.disconnect();
  const out = process.env.ALLOC_PROFILE_OUT;
  writeFileSync(`${out}.partial`, JSON.stringify({ profile, scavengePausesMs }));
  renameSync(`${out}.partial`, out);
});
