// What the bench imports from this folder (bench/gateway/targets.ts loads it with scripts/tool-folder.ts).
// Portkey's gateway is not imported: bench/gateway/procs.ts runs its build/start-server.js as a child process.
export { default as autocannon } from 'autocannon';
