// etcd's "simple" tokens (server/auth/simple_token.go): an opaque
// "<16 random letters>.<raft index>" held in memory by every member, mapped to
// its user. The proposer draws the letters (genTokenPrefix) and every member
// builds the same token while applying the Authenticate entry at that index,
// so any member accepts it. A token lives for the TTL (--auth-token-ttl)
// after its last use: every successful `info` refreshes it (etcd's
// simpleTokenTTLKeeper). Tokens only exist while auth is enabled.

import { randomInt } from 'node:crypto';
import type { Logger } from '../../pkg/logger.js';
import type { AuthInfo, TokenProvider } from '../types.js';
import { redactToken, type TokenProviderOptions } from './token-provider.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const SIMPLE_TOKEN_PREFIX_LENGTH = 16;
export const SIMPLE_TOKEN_TTL_DEFAULT_SECONDS = 300;
/** etcd's simpleTokenTTLResolution. */
const SWEEP_INTERVAL_DEFAULT_MS = 1000;

/**
 * The Raft index a simple token was issued at, or undefined when the token is
 * not shaped "<prefix>.<decimal index>" (etcd's isValidSimpleToken). A member
 * that has not applied that index yet should wait for it before asking `info`,
 * as etcd does.
 */
export function simpleTokenIndex(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 2 || !/^[0-9]{1,20}$/.test(parts[1]!)) return undefined;
  const index = Number(parts[1]);
  return Number.isSafeInteger(index) ? index : undefined;
}

interface TokenEntry {
  username: string;
  expiresAtMs: number;
}

export class SimpleTokenProvider implements TokenProvider {
  private readonly logger: Logger;
  private readonly clock: { nowMs(): number };
  private readonly random: (() => number) | undefined;
  private readonly ttlMs: number;
  private readonly sweepIntervalMs: number;
  /** token -> user and expiry; undefined while disabled (etcd: simpleTokenKeeper == nil). */
  private tokens: Map<string, TokenEntry> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: TokenProviderOptions) {
    this.logger = options.logger;
    this.clock = options.clock ?? { nowMs: () => Date.now() };
    this.random = options.random;
    const ttlSeconds = options.ttlSeconds > 0 ? options.ttlSeconds : SIMPLE_TOKEN_TTL_DEFAULT_SECONDS;
    this.ttlMs = ttlSeconds * 1000;
    this.sweepIntervalMs = options.sweepIntervalMs ?? SWEEP_INTERVAL_DEFAULT_MS;
  }

  /** How many tokens are held (for tests and metrics). */
  get tokenCount(): number {
    return this.tokens?.size ?? 0;
  }

  get enabled(): boolean {
    return this.tokens !== undefined;
  }

  genTokenPrefix(): string {
    let prefix = '';
    for (let i = 0; i < SIMPLE_TOKEN_PREFIX_LENGTH; i++) {
      const pick = this.random ? Math.floor(this.random() * LETTERS.length) : randomInt(LETTERS.length);
      prefix += LETTERS[Math.min(Math.max(pick, 0), LETTERS.length - 1)];
    }
    return prefix;
  }

  assign(username: string, _revision: number, context: { simpleTokenPrefix: string; index: number }): string {
    const token = `${context.simpleTokenPrefix}.${context.index}`;
    if (!this.tokens) return token; // auth is off: etcd hands the token out without remembering it
    if (this.tokens.has(token)) {
      // etcd panics: two Authenticate entries cannot share an index.
      this.logger.error('failed to assign already-used simple token to a user', {
        'user-name': username,
        'token-fingerprint': redactToken(token),
      });
      throw new Error('failed to assign already-used simple token to a user');
    }
    this.tokens.set(token, { username, expiresAtMs: this.clock.nowMs() + this.ttlMs });
    return token;
  }

  info(token: string, currentRevision: number): AuthInfo | undefined {
    if (!this.tokens) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    const now = this.clock.nowMs();
    if (now > entry.expiresAtMs) {
      this.drop(token, entry);
      return undefined;
    }
    entry.expiresAtMs = now + this.ttlMs;
    return { username: entry.username, revision: currentRevision };
  }

  enable(): void {
    if (this.tokens) return;
    this.tokens = new Map();
    if (this.sweepIntervalMs > 0) {
      this.sweepTimer = setInterval(() => this.sweep(), this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  disable(): void {
    this.stopSweeping();
    this.tokens = undefined;
  }

  invalidateUser(username: string): void {
    if (!this.tokens) return;
    for (const [token, entry] of this.tokens) if (entry.username === username) this.tokens.delete(token);
  }

  /** Drops every expired token (the timer calls this; tests may too). */
  sweep(): void {
    if (!this.tokens) return;
    const now = this.clock.nowMs();
    for (const [token, entry] of this.tokens) if (now > entry.expiresAtMs) this.drop(token, entry);
  }

  close(): void {
    this.stopSweeping();
  }

  private drop(token: string, entry: TokenEntry): void {
    this.tokens?.delete(token);
    this.logger.debug('deleted a simple token', { 'user-name': entry.username, 'token-fingerprint': redactToken(token) });
  }

  private stopSweeping(): void {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }
}
