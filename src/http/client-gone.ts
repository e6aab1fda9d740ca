import type { ServerResponse } from 'node:http';
import { Cancellation, type CancelSignal } from '../core/cancellation.ts';

/** Cancelled when the client hangs up before the answer is complete: the call's owner aborts the upstream call. */
export function clientGone(res: ServerResponse): CancelSignal {
  const gone = new Cancellation();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone;
}
