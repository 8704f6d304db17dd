// etcd's initial corruption check (etcdserver/corrupt.go CheckInitialHashKV,
// flag --experimental-initial-corrupt-check): before a restarted member serves
// clients, it asks every peer for HashKV at its own current revision and
// refuses to start when a peer with the same compact revision has a different
// hash. Everything else (a peer that is behind, one that compacted past the
// revision, one with another compact revision, one that does not answer) is
// only logged. The way peers are asked is injected (api/peer-hash-kv.ts does it
// over gRPC), so the comparison runs without a network in tests.
//
// etcd 3.4 asks peers on their peer URLs (GET /members/hashkv, JSON); this
// implementation's peer port speaks only its own Raft transport, so peers are
// asked on their client URLs through Maintenance.HashKV, as etcd 3.5's
// periodic check does.

import type { Logger } from '../pkg/logger.js';
import { formatId } from './membership/ids.js';

/** The local member's HashKV(0): the hash at its current revision. */
export interface LocalHashKv {
  hash: number;
  /** The revision the hash covers (the current revision). */
  revision: number;
  compactRevision: number;
}

/** A peer's HashKV answer. */
export interface PeerHashKvResult {
  hash: number;
  compactRevision: number;
  /** The peer's current revision (its response header's revision). */
  revision: number;
  /** The answering member's id (its response header's member id). */
  memberId: bigint;
}

/** Asks the member serving `clientUrl` for HashKV at `revision`; rejects with its error. */
export type PeerHashKv = (clientUrl: string, revision: number) => Promise<PeerHashKvResult>;

export interface CorruptCheckPeer {
  id: bigint;
  clientUrls: readonly string[];
}

export interface InitialCorruptCheckOptions {
  localMemberId: bigint;
  local: LocalHashKv;
  /** The cluster's members; the local one is passed over. */
  peers: readonly CorruptCheckPeer[];
  peerHashKv: PeerHashKv;
  logger: Logger;
  /** The per-request timeout peerHashKv applies (etcd's ReqTimeout), for the first log line. */
  timeoutMs?: number;
}

/** What the check saw, for callers that want more than pass or throw. */
export interface InitialCorruptCheckReport {
  /** Peers whose hash was compared (same compact revision). */
  matched: bigint[];
  /** Peers with the same compact revision and a different hash. */
  mismatched: bigint[];
  /** Peers that answered with another compact revision and another hash. */
  differentCompactRevision: bigint[];
  /** Peers that could not hash at the local revision: behind it, or compacted past it. */
  lagging: bigint[];
  compactedPast: bigint[];
  /** Peers none of whose client URLs answered. */
  unreachable: bigint[];
}

/** etcd's error when a peer's data differs: the member refuses to start. */
export class InitialCorruptCheckError extends Error {
  constructor(
    localMemberId: bigint,
    readonly mismatched: bigint[],
  ) {
    super(`${formatId(localMemberId)} found data inconsistency with peers`);
    this.name = 'InitialCorruptCheckError';
  }
}

const compactedText = 'mvcc: required revision has been compacted';
const futureRevisionText = 'mvcc: required revision is a future revision';

/** One peer's answer, or the error of its last URL. */
export interface PeerOutcome {
  peer: CorruptCheckPeer;
  response?: PeerHashKvResult;
  error?: unknown;
}

/**
 * etcd's CheckInitialHashKV. Resolves when no peer disagrees; rejects with
 * InitialCorruptCheckError ("<id> found data inconsistency with peers") when a
 * peer with the same compact revision has another hash at the local revision.
 * Peers are asked concurrently (each one's URLs in turn, until one answers);
 * their outcomes are logged in member order, as etcd does.
 */
export async function checkInitialHashKv(options: InitialCorruptCheckOptions): Promise<InitialCorruptCheckReport> {
  const logger = options.logger.child('etcdserver/corrupt.go');
  const localId = formatId(options.localMemberId);
  const { hash, revision, compactRevision } = options.local;
  logger.info('starting initial corruption check', {
    'local-member-id': localId,
    ...(options.timeoutMs === undefined ? {} : { timeout: `${options.timeoutMs / 1000}s` }),
  });

  const outcomes = await getPeerHashKvs(options.localMemberId, options.peers, options.peerHashKv, revision, logger);

  const report: InitialCorruptCheckReport = { matched: [], mismatched: [], differentCompactRevision: [], lagging: [], compactedPast: [], unreachable: [] };
  const localFields = {
    'local-member-id': localId,
    'local-member-revision': revision,
    'local-member-compact-revision': compactRevision,
    'local-member-hash': hash,
  };
  for (const { peer, response, error } of outcomes) {
    if (response !== undefined) {
      const fields = {
        ...localFields,
        'remote-peer-id': formatId(response.memberId),
        'remote-peer-endpoints': [...peer.clientUrls],
        'remote-peer-revision': response.revision,
        'remote-peer-compact-revision': response.compactRevision,
        'remote-peer-hash': response.hash,
      };
      if (response.hash === hash) {
        report.matched.push(peer.id);
      } else if (response.compactRevision === compactRevision) {
        logger.warn('found different hash values from remote peer', fields);
        report.mismatched.push(peer.id);
      } else {
        logger.warn('found different compact revision values from remote peer', fields);
        report.differentCompactRevision.push(peer.id);
      }
      continue;
    }
    const peerFields = { ...localFields, 'remote-peer-id': formatId(peer.id), 'remote-peer-endpoints': [...peer.clientUrls], error: errorText(error) };
    if (errorText(error).includes(futureRevisionText)) {
      logger.warn('cannot fetch hash from slow remote peer', peerFields);
      report.lagging.push(peer.id);
    } else if (errorText(error).includes(compactedText)) {
      logger.warn('cannot fetch hash from remote peer; local member is behind', peerFields);
      report.compactedPast.push(peer.id);
    } else {
      report.unreachable.push(peer.id);
    }
  }
  if (report.mismatched.length > 0) throw new InitialCorruptCheckError(options.localMemberId, report.mismatched);
  logger.info('initial corruption checking passed; no corruption', { 'local-member-id': localId });
  return report;
}

/**
 * etcd's getPeerHashKVs (shared with the periodic check): every member but
 * the local one that has client URLs, asked concurrently for HashKV at
 * `revision`; each failed URL is logged ("failed hash kv request").
 */
export function getPeerHashKvs(localMemberId: bigint, members: readonly CorruptCheckPeer[], peerHashKv: PeerHashKv, revision: number, logger: Logger): Promise<PeerOutcome[]> {
  const peers = members.filter((peer) => peer.id !== localMemberId && peer.clientUrls.length > 0);
  return Promise.all(peers.map((peer) => askPeer(peer, peerHashKv, revision, logger, formatId(localMemberId))));
}

/** etcd's getPeerHashKVs for one member: its URLs in turn until one answers. */
async function askPeer(peer: CorruptCheckPeer, peerHashKv: PeerHashKv, revision: number, logger: Logger, localId: string): Promise<PeerOutcome> {
  let lastError: unknown;
  for (const url of peer.clientUrls) {
    try {
      return { peer, response: await peerHashKv(url, revision) };
    } catch (error) {
      lastError = error;
      logger.warn('failed hash kv request', {
        'local-member-id': localId,
        'requested-revision': revision,
        'remote-peer-endpoint': url,
        error: errorText(error),
      });
    }
  }
  return { peer, error: lastError };
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    // A gRPC ServiceError's message is "<code> <name>: <details>"; details is etcd's text.
    const details = (error as { details?: unknown }).details;
    return typeof details === 'string' && details !== '' ? details : error.message;
  }
  return String(error);
}
