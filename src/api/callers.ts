// Who a client call runs as (etcd's AuthInfoFromCtx): the user of the token
// in the call's metadata, or, with --client-cert-auth and no token, the
// common name of the client's verified certificate. With auth off, nobody:
// every check then passes.

import type { Metadata } from '@grpc/grpc-js';
import type { AuthStore } from '../auth/auth-store.js';
import { authErrors } from '../auth/errors.js';
import type { AuthInfo } from '../auth/types.js';
import type { Logger } from '../pkg/logger.js';
import { createHash } from 'node:crypto';
import { simpleTokenIndex } from '../auth/tokens/index.js';

/** What a call offers: its metadata and its peer ("address:port"). */
export interface CallIdentity {
  metadata: Metadata;
  getPeer(): string;
}

/**
 * Common names of the verified client certificates of open TLS connections,
 * by peer address: the client listener records them, calls look them up.
 */
export class ClientCertificateNames {
  private readonly byPeer = new Map<string, string>();

  record(peer: string, commonName: string): void {
    this.byPeer.set(peer, commonName);
  }

  forget(peer: string): void {
    this.byPeer.delete(peer);
  }

  commonNameOf(peer: string): string | undefined {
    return this.byPeer.get(peer);
  }
}

export class Callers {
  constructor(
    private readonly auth: () => AuthStore,
    private readonly options: {
      clientCertAuth: boolean;
      certificateNames: ClientCertificateNames;
      logger: Logger;
      /** The member's applied index, and a wait for it to reach an index. */
      appliedIndex?: () => number;
      waitApplied?: (index: number) => Promise<void>;
    },
  ) {}

  /**
   * Runs `handler` as the call's caller. A simple token names the Raft entry
   * that made it; a member that has not applied that entry yet (the client
   * authenticated on another member a moment ago) waits for it first, as etcd
   * does. With auth off, `handler` runs at once with nobody.
   */
  with<T>(call: CallIdentity, handler: (caller: AuthInfo | undefined) => T | Promise<T>): T | Promise<T> {
    if (!this.auth().enabled) return handler(undefined);
    const token = tokenOf(call.metadata);
    const index = token === undefined ? undefined : simpleTokenIndex(token);
    const applied = this.options.appliedIndex?.() ?? Number.MAX_SAFE_INTEGER;
    if (index === undefined || index <= applied || this.options.waitApplied === undefined) return handler(this.of(call));
    return this.options.waitApplied(index).then(() => handler(this.of(call)));
  }

  /** Throws etcd's "invalid auth token" for a token that is unknown, expired or forged. */
  of(call: CallIdentity): AuthInfo | undefined {
    const auth = this.auth();
    if (!auth.enabled) return undefined;
    const token = tokenOf(call.metadata);
    if (token !== undefined) {
      const info = auth.authInfoFromToken(token);
      if (info === undefined) {
        this.options.logger.warn('invalid auth token', { 'token-fingerprint': fingerprint(token) });
        throw authErrors.invalidAuthToken();
      }
      return info;
    }
    if (!this.options.clientCertAuth) return undefined;
    // The JSON gateway's own requests carry its certificate, never a user's.
    if (call.metadata.get('grpcgateway-accept').length > 0) return undefined;
    const commonName = this.options.certificateNames.commonNameOf(call.getPeer());
    return commonName ? { username: commonName, revision: auth.revision } : undefined;
  }

  /** The user name for the audit log, never throwing. */
  nameOf(call: CallIdentity): { user?: string; certificateCN?: string } {
    try {
      const info = this.of(call);
      if (info === undefined) return {};
      return tokenOf(call.metadata) === undefined ? { certificateCN: info.username } : { user: info.username };
    } catch {
      return {};
    }
  }
}

/** etcd reads "token", then the gateway's "authorization" ("Bearer " optional). */
export function tokenOf(metadata: Metadata): string | undefined {
  const values = metadata.get('token');
  const value = values.length > 0 ? values[0] : metadata.get('authorization')[0];
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.toString();
  return text.startsWith('Bearer ') ? text.slice('Bearer '.length) : text;
}

/** Logged instead of the token itself: enough to match two lines, useless to an attacker. */
function fingerprint(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}
