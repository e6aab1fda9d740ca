import type { AuthenticatedKey, KeyService } from './keys.ts';

/**
 * The caller of one operation, authenticated lazily: catalog queries are public and never touch the key
 * store; the first resolver that needs a key pays for one lookup, later ones share it.
 */
export class RequestAuth {
  private result: Promise<AuthenticatedKey> | undefined;

  constructor(
    private readonly keys: KeyService,
    private readonly authorization: unknown,
  ) {}

  /** The caller's key; UNAUTHENTICATED when missing or unknown, FORBIDDEN when revoked. */
  require(): Promise<AuthenticatedKey> {
    this.result ??= this.keys.authenticate(this.authorization);
    return this.result;
  }

  /** The caller's key when one was sent and is valid; null when none was sent. Bad keys still fail. */
  async optional(): Promise<AuthenticatedKey | null> {
    if (this.authorization === undefined || this.authorization === null || this.authorization === '') return null;
    return this.require();
  }
}
