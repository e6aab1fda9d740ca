import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '../core/errors.ts';
import type { GatewayStore, KeyRecord } from '../store/types.ts';

/** Who is calling: a stored key, or the bootstrap admin key from GATEWAY_ADMIN_KEY. */
export interface AuthenticatedKey {
  id: string;
  name: string;
  prefix: string;
  isAdmin: boolean;
  budgetUsd: number | null;
  rpm: number | null;
}

export const ADMIN_KEY_ID = 'admin';
const KEY_PREFIX = 'gw_';
/** Characters of a key kept in the clear (listed by `keys list`, logged) to tell keys apart. */
const SHOWN_PREFIX_LENGTH = 10;
/** last_used_at is written at most this often per key: a write per request would cost more than it tells. */
const TOUCH_INTERVAL_MS = 60_000;

/** 32 random bytes: far beyond guessing, so a fast hash (not a password KDF) is the right tool. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export const keyPrefix = (key: string): string => key.slice(0, SHOWN_PREFIX_LENGTH);

/** `Bearer <key>` → key; anything else → undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

const toAuthenticated = (k: KeyRecord): AuthenticatedKey => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  isAdmin: k.isAdmin,
  budgetUsd: k.budgetUsd,
  rpm: k.rpm,
});

export interface CreateKeyOptions {
  name: string;
  budgetUsd?: number | null;
  rpm?: number | null;
  isAdmin?: boolean;
}

/**
 * Gateway keys: created once (the plaintext is returned to the caller and never stored: only its SHA-256),
 * looked up by hash, compared in constant time.
 */
export class KeyService {
  private readonly adminHash: Buffer | null;
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly store: GatewayStore,
    adminKey: string | undefined,
  ) {
    this.adminHash = adminKey ? Buffer.from(hashKey(adminKey), 'hex') : null;
  }

  async create(options: CreateKeyOptions): Promise<{ key: string; record: KeyRecord }> {
    const name = options.name.trim();
    if (!/^[\w.@:-]{1,64}$/.test(name)) throw new GatewayError('BAD_USER_INPUT', 'A key name is 1–64 letters, digits or . _ - @ :');
    if (options.budgetUsd !== undefined && options.budgetUsd !== null && !(options.budgetUsd >= 0)) {
      throw new GatewayError('BAD_USER_INPUT', 'budget must be a number ≥ 0');
    }
    if (options.rpm !== undefined && options.rpm !== null && !(Number.isInteger(options.rpm) && options.rpm > 0)) {
      throw new GatewayError('BAD_USER_INPUT', 'rpm must be a whole number > 0');
    }
    const key = generateKey();
    const record = await this.store.createKey({
      id: randomUUID(),
      name,
      prefix: keyPrefix(key),
      hash: hashKey(key),
      isAdmin: options.isAdmin ?? false,
      budgetUsd: options.budgetUsd ?? null,
      rpm: options.rpm ?? null,
      createdAt: Date.now(),
    });
    return { key, record };
  }

  /**
   * The caller behind an `Authorization` header value. Missing or unknown → UNAUTHENTICATED; revoked → FORBIDDEN.
   * The admin key is compared with timingSafeEqual; stored keys are found by the SHA-256 of the presented key
   * (an index lookup on a hash reveals nothing an attacker can steer) and the match is re-checked in constant time.
   */
  async authenticate(authorization: unknown): Promise<AuthenticatedKey> {
    const token = bearerToken(authorization);
    if (!token) throw new GatewayError('UNAUTHENTICATED', 'Missing gateway key: send Authorization: Bearer <key>');
    const digest = Buffer.from(hashKey(token), 'hex');
    if (this.adminHash && timingSafeEqual(digest, this.adminHash)) {
      return { id: ADMIN_KEY_ID, name: 'admin (GATEWAY_ADMIN_KEY)', prefix: keyPrefix(token), isAdmin: true, budgetUsd: null, rpm: null };
    }
    const record = await this.store.findKeyByHash(digest.toString('hex'));
    if (!record || !timingSafeEqual(Buffer.from(record.hash, 'hex'), digest)) {
      throw new GatewayError('UNAUTHENTICATED', 'Unknown gateway key');
    }
    if (record.revokedAt !== null) throw new GatewayError('FORBIDDEN', `Gateway key "${record.name}" was revoked`);
    this.touch(record.id);
    return toAuthenticated(record);
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.lastTouched.get(id) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.lastTouched.set(id, now);
    this.store.touchKey(id, now).catch(() => this.lastTouched.delete(id));
  }
}
