import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { GatewayError, badInput } from '../core/errors.ts';
import { type GatewayStore, type KeyLimitsPatch, type KeyRecord, StoreError } from '../store/types.ts';

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
/** At most this many stored keys keep a cached verdict (see KeyService.verdicts). */
const MAX_CACHED_KEYS = 10_000;

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

/** Largest budget a key may have: far above any real bill, and small enough that sums stay exact to the cent. */
export const MAX_BUDGET_USD = 1_000_000_000;
/** Largest rpm a key may have (it fits the 32-bit column of both stores with room to spare). */
export const MAX_RPM = 1_000_000;

const raise = (err: Error): never => {
  throw err;
};

const noActiveKey = (name: string): GatewayError => badInput(`No active key named "${name}"`, 'name');

export function checkKeyName(raw: string): string {
  const name = raw.trim();
  if (!/^[\w.@:-]{1,64}$/.test(name)) throw badInput('A key name is 1–64 letters, digits or . _ - @ :', 'name');
  return name;
}

/**
 * The one rule for key limits, for every way of setting them (CLI, GraphQL): a budget is a finite number of USD
 * from 0 to MAX_BUDGET_USD, an rpm a whole number from 1 to MAX_RPM; null means unlimited, undefined "not given".
 */
export function checkLimits(limits: KeyLimitsPatch): KeyLimitsPatch {
  const { budgetUsd, rpm } = limits;
  if (budgetUsd !== undefined && budgetUsd !== null && !(Number.isFinite(budgetUsd) && budgetUsd >= 0 && budgetUsd <= MAX_BUDGET_USD)) {
    throw badInput(`A budget is a number of USD from 0 to ${MAX_BUDGET_USD}`, 'budgetUsd');
  }
  if (rpm !== undefined && rpm !== null && !(Number.isInteger(rpm) && rpm >= 1 && rpm <= MAX_RPM)) {
    throw badInput(`rpm is a whole number from 1 to ${MAX_RPM}`, 'rpm');
  }
  return { ...(budgetUsd !== undefined && { budgetUsd }), ...(rpm !== undefined && { rpm }) };
}

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
  /**
   * Stored keys found by hash, reused for `cacheMs` (KEY_CACHE_MS). Why: the store lookup was the largest single
   * cost of the store on the hot path (`npm run bench:profile`: ~5 % of a REST call's CPU on SQLite, a read
   * transaction against a WAL that activity rows keep growing; a network round trip on PostgreSQL). Only keys
   * that exist are kept (an unknown key is looked up every time, so guessing fills nothing). Every change made
   * through this service (create, revoke, rotate, update) empties it at once; a change made by another process
   * (the keys CLI, another replica or worker) is seen within `cacheMs`, the same bound as running streams
   * (REVOCATION_CHECK_MS). `cacheMs` 0 looks every request up.
   */
  private readonly verdicts = new Map<string, { record: KeyRecord; until: number }>();

  constructor(
    private readonly store: GatewayStore,
    adminKey: string | undefined,
    private readonly cacheMs = 0,
    private readonly now: () => number = Date.now,
  ) {
    this.adminHash = adminKey ? Buffer.from(hashKey(adminKey), 'hex') : null;
  }

  /** How many stored keys have a reusable verdict now (for tests and the curious). */
  get cachedKeys(): number {
    return this.verdicts.size;
  }

  private forgetVerdicts(): void {
    this.verdicts.clear();
  }

  private async findByHash(hash: string): Promise<KeyRecord | null> {
    if (this.cacheMs === 0) return this.store.findKeyByHash(hash);
    const now = this.now();
    const cached = this.verdicts.get(hash);
    if (cached && cached.until > now) return cached.record;
    const record = await this.store.findKeyByHash(hash);
    if (!record) {
      this.verdicts.delete(hash);
      return null;
    }
    // Bounded by the number of stored keys; the cap only guards against a store with very many.
    if (this.verdicts.size >= MAX_CACHED_KEYS) this.verdicts.clear();
    this.verdicts.set(hash, { record, until: now + this.cacheMs });
    return record;
  }

  async create(options: CreateKeyOptions): Promise<{ key: string; record: KeyRecord }> {
    const name = checkKeyName(options.name);
    const limits = checkLimits({ budgetUsd: options.budgetUsd ?? null, rpm: options.rpm ?? null });
    const key = generateKey();
    const record = await this.store
      .createKey({
        id: randomUUID(),
        name,
        prefix: keyPrefix(key),
        hash: hashKey(key),
        isAdmin: options.isAdmin ?? false,
        budgetUsd: limits.budgetUsd ?? null,
        rpm: limits.rpm ?? null,
        createdAt: Date.now(),
      })
      .catch((err: unknown) => {
        throw err instanceof StoreError && err.code === 'KEY_NAME_TAKEN' ? badInput(err.message, 'name') : err;
      });
    this.forgetVerdicts();
    return { key, record };
  }

  /** Every key, oldest first, revoked ones included (their names may have been reused). */
  list(): Promise<KeyRecord[]> {
    return this.store.listKeys();
  }

  /**
   * Whether an authenticated key is still the active key of its name: false once it was revoked or rotated away
   * (a new key may then carry the name). The bootstrap admin key is always active.
   */
  async isActive(key: AuthenticatedKey): Promise<boolean> {
    if (key.id === ADMIN_KEY_ID) return true;
    const record = await this.store.findKeyByName(key.name);
    const active = record !== null && record.id === key.id && record.revokedAt === null;
    // Seen revoked (by the streams' sweep, possibly from another process): new requests are refused from now on too.
    if (!active) this.forgetVerdicts();
    return active;
  }

  /** Revokes the active key of that name: it is refused (FORBIDDEN) from its next request on, and its running streams end (src/chat/revocation.ts). */
  async revoke(name: string): Promise<KeyRecord> {
    const checked = checkKeyName(name);
    const revoked = await this.store.revokeKey(checked, Date.now());
    this.forgetVerdicts();
    if (!revoked) throw noActiveKey(checked);
    return (await this.store.findKeyByName(checked)) ?? raise(noActiveKey(checked));
  }

  /**
   * A new key in place of the active key of that name, in one transaction: same name, admin flag, limits and
   * spend so far (rotating is not a way to reset a budget); the old key is revoked.
   */
  async rotate(name: string): Promise<{ key: string; record: KeyRecord }> {
    const checked = checkKeyName(name);
    const key = generateKey();
    const record = await this.store.rotateKey(checked, { id: randomUUID(), prefix: keyPrefix(key), hash: hashKey(key), createdAt: Date.now() }, Date.now());
    this.forgetVerdicts();
    if (!record) throw noActiveKey(checked);
    return { key, record };
  }

  /** Changes an active key's limits (null = unlimited; a field left out is kept). Applies from its next request. */
  async update(name: string, limits: KeyLimitsPatch): Promise<KeyRecord> {
    const checked = checkKeyName(name);
    const patch = checkLimits(limits);
    if (patch.budgetUsd === undefined && patch.rpm === undefined) throw badInput('Nothing to change: give a budget or an rpm');
    const record = await this.store.updateKeyLimits(checked, patch);
    this.forgetVerdicts();
    return record ?? raise(noActiveKey(checked));
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
    const record = await this.findByHash(digest.toString('hex'));
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
