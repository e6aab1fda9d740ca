import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MUTATION, CHAT_STREAM, LLAMA, type Stack, runStream, startStack, userMessage } from '../helpers/stack.ts';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const keysCli = (databaseUrl: string, ...args: string[]) =>
  run(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl } });

describe('npm run keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-keys-'));
  const databaseUrl = `file:${join(dir, 'nested', 'gateway.db')}`;

  it('creates a key (printed once, stored only as a hash), lists it without the key, revokes it', async () => {
    const created = await keysCli(databaseUrl, 'create', '--name', 'frontend', '--budget-usd', '5', '--rpm', '60');
    const key = /\b(gw_[\w-]{40,})\b/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    // The database folder was created on first use, and no file in it holds the key.
    const files = readdirSync(join(dir, 'nested'));
    expect(files).toContain('gateway.db');
    for (const f of files) expect(readFileSync(join(dir, 'nested', f)).includes(Buffer.from(key!))).toBe(false);

    const listed = await keysCli(databaseUrl, 'list');
    expect(listed.stdout).toContain('frontend');
    expect(listed.stdout).toContain(key!.slice(0, 10));
    expect(listed.stdout).not.toContain(key!);
    expect(listed.stdout).toMatch(/\b5\b/);
    expect(listed.stdout).toMatch(/\b60\b/);

    await expect(keysCli(databaseUrl, 'create', '--name', 'frontend')).rejects.toMatchObject({ stderr: expect.stringContaining('already exists') });
    const revoked = await keysCli(databaseUrl, 'revoke', 'frontend');
    expect(revoked.stdout).toContain('Revoked');
    expect((await keysCli(databaseUrl, 'list')).stdout).toContain('revoked');
  });

  it('explains its usage', async () => {
    await expect(keysCli(databaseUrl)).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: npm run keys --') });
  });
});

describe('auth', () => {
  let stack: Stack;
  const ADMIN = 'admin-bootstrap-key-for-tests-0123456789';
  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_ADMIN_KEY: ADMIN } });
  });
  afterAll(() => stack.close());
  const chat = (headers: Record<string, string>) =>
    stack.gql(CHAT_MUTATION, { input: { model: LLAMA, messages: userMessage('hi') } }, headers);

  it('the catalog is public', async () => {
    const res = await stack.gql('{ models(type: RERANK) { id } }', undefined, { authorization: '' });
    expect(res.body.data.models.length).toBeGreaterThan(0);
  });

  it('chat without a key, with an unknown key or a malformed header → UNAUTHENTICATED, before Together is called', async () => {
    const before = stack.sim.stats.chatCalls;
    for (const authorization of ['', 'Bearer gw_not-a-real-key', 'Basic abc', stack.key]) {
      const res = await chat({ authorization });
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(stack.sim.stats.chatCalls).toBe(before);
  });

  it('a revoked key → FORBIDDEN', async () => {
    const { key } = await stack.gateway.services.keys.create({ name: 'soon-revoked' });
    expect((await chat(stack.auth(key))).body.errors).toBeUndefined();
    await stack.gateway.services.store.revokeKey('soon-revoked', Date.now());
    expect((await chat(stack.auth(key))).body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('GATEWAY_ADMIN_KEY is an admin key', async () => {
    expect((await chat(stack.auth(ADMIN))).body.errors).toBeUndefined();
    const me = await stack.gql('{ me { name isAdmin } }', undefined, stack.auth(ADMIN));
    expect(me.body.data.me).toMatchObject({ isAdmin: true });
  });

  it('graphql-ws: the key travels in connectionParams.authorization', async () => {
    const anonymous = runStream(stack.wsClient({}), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await anonymous.finished;
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = runStream(stack.wsClient({ authorization: 'Bearer nope' }), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await wrong.finished;
    expect(wrong.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const ok = runStream(stack.wsClient(), CHAT_STREAM, { input: { model: LLAMA, messages: userMessage('hi') } });
    await ok.finished;
    expect(ok.errors).toBeNull();
    expect(ok.events.at(-1)?.done).toBe(true);
  });

  it('stats and me need a key', async () => {
    const res = await stack.gql('{ gatewayStats { totalRequests } }', undefined, { authorization: '' });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const me = await stack.gql('{ me { name } }', undefined, { authorization: '' });
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
