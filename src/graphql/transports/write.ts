import type { ServerResponse } from 'node:http';

/**
 * Writes a stream's chunks to a response whose head is already written, as they come: waits for `drain`
 * when the socket is full (a slow client holds the stream back instead of growing our heap), and calls the
 * source's `return()` as soon as the client goes away, which aborts the upstream call (see StreamOperations.run).
 */
export async function writeStream(res: ServerResponse, source: AsyncGenerator<string>): Promise<void> {
  let gone = false;
  const leave = (): void => {
    if (res.writableFinished) return;
    gone = true;
    void source.return(undefined).catch(() => undefined);
  };
  res.once('close', leave);
  try {
    for await (const chunk of source) {
      if (gone || res.destroyed) break;
      if (!res.write(chunk)) await drained(res);
    }
  } finally {
    res.off('close', leave);
    if (!res.destroyed) res.end();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}
