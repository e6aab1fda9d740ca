import { describe, expect, it } from 'vitest';
import { createLogger, redactLogObject } from '../../src/core/logger.ts';

/** A real pino logger writing JSON lines into an array. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) } as unknown as NodeJS.WritableStream);
  return { logger, lines, last: () => JSON.parse(lines.at(-1)!) };
}

describe('log redaction: fields that may carry a key never reach a line', () => {
  it('censors them at the top level and one level down, whole objects included', () => {
    const { logger, last } = capture();
    logger.info(
      {
        authorization: 'Bearer abc',
        apiKey: 'k1',
        key: 'k2',
        headers: { 'x-custom-credential': 'k3' },
        connectionParams: { token: 'k4' },
        req: { method: 'POST', headers: { cookie: 'k5' } },
        request: { headers: { authorization: 'k6' }, url: '/v1' },
        upstream: { apiKey: 'k7', key: 'k8', authorization: 'k9', connectionParams: {}, status: 429 },
        keyId: 'not-a-secret',
      },
      'hello',
    );
    const line = last();
    expect(line).toMatchObject({
      authorization: '[redacted]',
      apiKey: '[redacted]',
      key: '[redacted]',
      headers: '[redacted]',
      connectionParams: '[redacted]',
      req: { method: 'POST', headers: '[redacted]' },
      request: { headers: '[redacted]', url: '/v1' },
      upstream: { apiKey: '[redacted]', key: '[redacted]', authorization: '[redacted]', connectionParams: '[redacted]', status: 429 },
      keyId: 'not-a-secret',
      msg: 'hello',
    });
    for (const secret of ['abc', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9']) expect(JSON.stringify(line)).not.toContain(`"${secret}"`);
  });

  it("never changes the caller's object", () => {
    const { logger } = capture();
    const object = { req: { headers: { authorization: 'Bearer abc' } }, key: 'k' };
    logger.warn(object, 'x');
    expect(object).toEqual({ req: { headers: { authorization: 'Bearer abc' } }, key: 'k' });
  });

  it('child bindings are censored too', () => {
    const { logger, last } = capture();
    logger.child({ apiKey: 'k1', scope: 'test' }).info('from a child');
    expect(last()).toMatchObject({ apiKey: '[redacted]', scope: 'test' });
  });

  it('an object with nothing to censor is passed through as it is (no copy per line)', () => {
    const object = { requestId: 'r', model: 'm', usage: { promptTokens: 1 }, list: [{ key: 'in an array, left' }] };
    expect(redactLogObject(object)).toBe(object);
  });

  it('an error logged under another name is censored like any object', () => {
    const { logger, last } = capture();
    const cause = Object.assign(new Error('inner'), { headers: { 'x-api-key': 'k1' }, status: 502 });
    logger.warn({ cause }, 'upstream failed');
    expect(last().cause).toEqual({ headers: '[redacted]', status: 502 });
  });

  it('errors keep their allow-listed fields only (no headers or request options from an SDK error)', () => {
    const { logger, last } = capture();
    const err = Object.assign(new Error('boom'), { headers: { authorization: 'Bearer abc' }, raw: { apiKey: 'k1' } });
    logger.error({ err }, 'failed');
    const line = last();
    expect(line.err).toMatchObject({ type: 'Error', message: 'boom' });
    expect(JSON.stringify(line)).not.toContain('abc');
    expect(JSON.stringify(line)).not.toContain('k1');
  });
});
