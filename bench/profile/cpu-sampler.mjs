/**
 * Preload for a gateway under bench/profile: V8's CPU profiler through the inspector, so the profile covers
 * only the measured load (not start-up, catalog load or warm-up, which `--cpu-prof` would include). SIGUSR1
 * starts it; SIGUSR2 stops it and writes the profile to $CPU_PROFILE_OUT (whole, by a rename).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result))));
await post('Profiler.enable');
// 200 µs: fine enough for a ~1 ms call, coarse enough that the profiler itself stays a few % of the CPU.
await post('Profiler.setSamplingInterval', { interval: Number(process.env.CPU_PROFILE_INTERVAL_US ?? 200) });

process.on('SIGUSR1', () => void post('Profiler.start'));
process.on('SIGUSR2', async () => {
  const { profile } = await post('Profiler.stop');
  const out = process.env.CPU_PROFILE_OUT;
  writeFileSync(`${out}.partial`, JSON.stringify(profile));
  renameSync(`${out}.partial`, out);
});
