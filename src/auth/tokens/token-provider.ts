// Choosing a token provider from etcd's `--auth-token` value (etcd's
// NewTokenProvider and decomposeOpts in server/auth/store.go):
//
//   --auth-token simple                      (etcd's default)
//   --auth-token jwt,sign-method=RS256,pub-key=PATH,priv-key=PATH,ttl=5m
//   --auth-token ''                          (no tokens: Authenticate fails)
//
// The value is split on ","; the first part is the type and every other part
// must be exactly one "name=value" (a value may not contain "=" or ","), each
// name at most once. Anything else is etcd's "auth: invalid auth options".
// The errors thrown carry etcd's texts, so operators see what etcd says.

import { createHash } from 'node:crypto';
import type { Logger } from '../../pkg/logger.js';
import type { AuthInfo, TokenProvider } from '../types.js';
import { newJwtTokenProvider } from './jwt-token.js';
import { SimpleTokenProvider } from './simple-token.js';

/** etcd's texts (server/auth/store.go) for what can go wrong with tokens and their options. */
export const TokenErrorMessage = {
  invalidAuthOpts: 'auth: invalid auth options',
  invalidAuthMethod: 'auth: invalid auth signature method',
  missingKey: 'auth: missing key data',
  keyMismatch: "auth: public and private keys don't match",
  verifyOnly: 'auth: token signing attempted with verify-only key',
  authFailed: 'auth: authentication failed, invalid user ID or password',
} as const;

/**
 * A bad `--auth-token` value, or a token that cannot be issued. `message` is
 * etcd's text; when etcd hides the detail behind "auth: invalid auth options"
 * (a bad ttl, an unreadable key file, an unknown sign-method), `cause` holds it.
 */
export class TokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenError';
  }
}

export interface TokenProviderOptions {
  /** `--auth-token-ttl` in seconds, for simple tokens (etcd's default 300; 0 or less means the default). */
  ttlSeconds: number;
  logger: Logger;
  /** Wall clock; Date.now by default. Tests pass one they move by hand. */
  clock?: { nowMs(): number };
  /** Uniform in [0, 1) for simple token prefixes; crypto.randomInt by default. */
  random?: () => number;
  /**
   * How often expired simple tokens are swept from memory (etcd: every
   * second). 0: never by timer (expired tokens are still refused by `info`,
   * and `sweep()` drops them). The timer is unref'd and stops on disable/close.
   */
  sweepIntervalMs?: number;
}

export const tokenTypeSimple = 'simple';
export const tokenTypeJwt = 'jwt';

/** etcd's decomposeOpts: the type and its name=value options. */
export function decomposeTokenSpec(spec: string, logger?: Logger): { type: string; options: Map<string, string> } {
  const parts = spec.split(',');
  const options = new Map<string, string>();
  for (const part of parts.slice(1)) {
    const pair = part.split('=');
    if (pair.length !== 2) {
      logger?.error('invalid token option', { option: spec });
      throw new TokenError(TokenErrorMessage.invalidAuthOpts);
    }
    const [name, value] = pair as [string, string];
    if (options.has(name)) {
      logger?.error('invalid token option', { option: spec, 'duplicate-parameter': name });
      throw new TokenError(TokenErrorMessage.invalidAuthOpts);
    }
    options.set(name, value);
  }
  return { type: parts[0]!, options };
}

/** The provider that `--auth-token` names. Throws a TokenError with etcd's text when the value is bad. */
export function newTokenProvider(spec: string, options: TokenProviderOptions): TokenProvider {
  const { logger } = options;
  const { type, options: typeOptions } = decomposeTokenSpec(spec, logger);
  switch (type) {
    case tokenTypeSimple:
      logger.warn('simple token is not cryptographically signed');
      return new SimpleTokenProvider(options);
    case tokenTypeJwt:
      return newJwtTokenProvider(typeOptions, { logger, clock: options.clock });
    case '':
      return new NopTokenProvider();
    default:
      logger.warn('unknown token type', { type, error: TokenErrorMessage.invalidAuthOpts });
      throw new TokenError(TokenErrorMessage.invalidAuthOpts);
  }
}

/** etcd's tokenNop (`--auth-token ''`): no token is valid and none can be issued. */
export class NopTokenProvider implements TokenProvider {
  info(): AuthInfo | undefined {
    return undefined;
  }
  assign(): string {
    throw new TokenError(TokenErrorMessage.authFailed);
  }
  enable(): void {}
  disable(): void {}
  invalidateUser(): void {}
  genTokenPrefix(): string {
    return '';
  }
  close(): void {}
}

/** etcd's redactToken: what logs show instead of a token (first 12 hex digits of its SHA-256). */
export function redactToken(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 12);
}
