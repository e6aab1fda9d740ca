import type { ActivityEntry } from '../usage/activity.ts';
import type { GatewayStatsResult, StatsQuery } from '../usage/stats-types.ts';

/** An API key as stored. All times are epoch milliseconds. Money is USD as a JS float, never rounded. */
export interface KeyRecord {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  isAdmin: boolean;
  budgetUsd: number | null;
  rpm: number | null;
  spendUsd: number;
  reservedUsd: number;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface NewKey {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  isAdmin: boolean;
  budgetUsd: number | null;
  rpm: number | null;
  createdAt: number;
}

export interface KeyLimitsPatch {
  budgetUsd?: number | null;
  rpm?: number | null;
}

/** Who holds a budget reservation: its id, the replica that made it (see heartbeat) and when. */
export interface ReservationLease {
  id: string;
  owner: string;
  at: number;
}

export interface OrphanRule {
  staleAfterBeats: number;
  fallbackIntervalMs: number;
  /** Epoch ms standing in for the database's clock (tests). */
  now?: number;
}

export interface ReleasedReservations {
  reservations: number;
  amountUsd: number;
}

export interface GatewayStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Versioned migrations (schema_migrations table), idempotent; openStore runs it. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * A name is unique among active keys (a revoked key's name may be reused): an active key of that name →
   * throws a StoreError with code 'KEY_NAME_TAKEN'.
   */
  createKey(key: NewKey): Promise<KeyRecord>;
  /** Revoked keys are returned too (check revokedAt). */
  findKeyByHash(hash: string): Promise<KeyRecord | null>;
  /** The active key of that name, else the most recently created revoked one. */
  findKeyByName(name: string): Promise<KeyRecord | null>;
  /** Oldest first, revoked keys included. */
  listKeys(): Promise<KeyRecord[]>;
  /** false when no such (unrevoked) key. */
  revokeKey(name: string, at: number): Promise<boolean>;
  /**
   * One transaction: the active key named `name` is revoked at `at` and `next` (its id, prefix, hash, createdAt;
   * the name is the same) takes its place with its admin flag, limits and spend. null when no active key has that name.
   */
  rotateKey(name: string, next: Pick<NewKey, 'id' | 'prefix' | 'hash' | 'createdAt'>, at: number): Promise<KeyRecord | null>;
  /** Sets the limits given (null = unlimited; a field left out is kept) on the active key; null when there is none. */
  updateKeyLimits(name: string, limits: KeyLimitsPatch): Promise<KeyRecord | null>;
  /** last_used_at = max(last_used_at, at). */
  touchKey(id: string, at: number): Promise<void>;
  /**
   * Atomic: succeeds iff budget is null or spend + reserved + amount <= budget (+ BUDGET_EPSILON_USD, see
   * stats-shared.ts); then reserved += amount and the reservation is stored under `lease` (one conditional UPDATE
   * and one INSERT in one transaction, safe across processes). Unknown key → false, nothing stored.
   */
  reserveBudget(keyId: string, amountUsd: number, lease: ReservationLease): Promise<boolean>;
  /**
   * Atomic: removes the reservation and releases what it held (nothing when a reaper released it already: it is
   * never released twice), and spend += actualUsd.
   */
  settleBudget(keyId: string, reservationId: string, actualUsd: number): Promise<void>;
  /**
   * `owner` (a replica) is alive, and beats every `intervalMs`: heartbeat_at = max(heartbeat_at, now) by the
   * database's clock (`at` replaces it in tests), heartbeat_ms = intervalMs. Recording each replica's own interval,
   * and using one clock, is what keeps a replica with a faster setting or a skewed clock from taking a live one
   * for dead (issue 25.6).
   */
  heartbeat(owner: string, intervalMs: number, at?: number): Promise<void>;
  /**
   * Atomic: releases every reservation whose owner has not beaten within `staleAfterBeats` of its own interval
   * (`fallbackIntervalMs` for a replica that recorded none), judged by the database's clock (`now` replaces it in
   * tests), and forgets those owners. Safe to run from every replica at once: each row is released once.
   */
  releaseOrphanedReservations(rule: OrphanRule): Promise<ReleasedReservations>;
  /** A replica stopping cleanly: forgets its heartbeat, so anything it still holds is an orphan at once. */
  retireOwner(owner: string): Promise<void>;
  /**
   * One transaction; rows whose `id` already exists are ignored (never written twice). Maintains the rollups too.
   * When the database refuses the data itself (a value out of range, text it cannot store), throws a StoreError
   * 'ROW_REJECTED': some row of the batch is poison, and writing them one by one finds it (usage/recorder.ts).
   * Any other failure (the database unreachable, the disk full) is thrown as it is.
   */
  insertActivity(rows: ActivityEntry[]): Promise<void>;
  /** Keeps a row the store refused (as JSON text, with why) for an operator; a second one with the same id is ignored. */
  quarantineActivity(entry: ActivityEntry, reason: string, at: number): Promise<void>;
  /** Quarantined rows, newest first: the entry as it was (parsed back from its JSON) and why it was refused. */
  listQuarantine(limit: number): Promise<Array<{ entry: ActivityEntry; reason: string; at: number }>>;
  /** One round trip to the database (readiness): throws when it cannot answer. */
  ping(): Promise<void>;
  stats(query: StatsQuery): Promise<GatewayStatsResult>;
  /** Raw rows, newest first, for tests and an admin view. */
  listActivity(filter: { keyId?: string | null; limit: number }): Promise<ActivityEntry[]>;
  /** Spend from the log (sum of cost_usd over the key's rows, all gateways) — lets tests check spend against rows. */
  spendFromLog(keyId: string): Promise<number>;
}

export type StoreErrorCode = 'KEY_NAME_TAKEN' | 'BAD_DATABASE_URL' | 'ROW_REJECTED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
  }
}

export const keyNameTaken = (name: string, cause?: unknown): StoreError =>
  new StoreError('KEY_NAME_TAKEN', `An active key named "${name}" already exists (revoke it first, or rotate it)`, { cause });

/** The database refused what was written (not: it could not be reached). `cause` is the driver's error. */
export const rowRejected = (cause: unknown): StoreError =>
  new StoreError('ROW_REJECTED', `the store refused an activity row: ${(cause as Error)?.message ?? String(cause)}`, { cause });

export const isRowRejected = (err: unknown): boolean => err instanceof StoreError && err.code === 'ROW_REJECTED';
