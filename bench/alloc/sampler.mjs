/**
 * Preload for a gateway under bench/alloc: V8's sampling heap profiler, keeping the objects that garbage
 * collection already freed (what a young-generation collection pays for is everything allocated, not what
 * survives). SIGUSR1 starts sampling; SIGUSR2 stops it and writes the profile to $ALLOC_PROFILE_OUT, then prints
 * ALLOC_PROFILE_WRITTEN.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
await post('HeapProfiler.enable');
process.on('SIGUSR1', () => {
  void post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
});
process.on('SIGUSR2', async () => {
  const { profile } = await post('HeapProfiler.stopSampling');
  writeFileSync(process.env.ALLOC_PROFILE_OUT, JSON.stringify(profile));
  process.stdout.write('ALLOC_PROFILE_WRITTEN\n');
});
