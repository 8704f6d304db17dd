// How a member joining a running cluster (--initial-cluster-state=existing)
// learns its own member id and the cluster id: it asks the other members'
// peer URLs for GET /members (membership/peer-http.ts) and finds itself by its
// peer URLs, as etcd's GetClusterFromRemotePeers and
// ValidateClusterAndAssignIDs do. The id was chosen by whoever ran MemberAdd,
// so it cannot be derived from this member's own flags.

import * as http from 'node:http';
import type { Logger } from '../../pkg/logger.js';
import type { SocketFactory } from '../../transport/index.js';
import { parseId } from './ids.js';
import type { MemberRecord } from './member-record.js';

export interface RemoteCluster {
  clusterId: bigint;
  members: MemberRecord[];
}

export interface RemoteClusterOptions {
  /** Peer URLs of the other members, from --initial-cluster. */
  peerUrls: readonly string[];
  socketFactory: SocketFactory;
  /** Per request. */
  requestTimeoutMs: number;
  /** Keep asking until this long has passed (etcd asks once; a member started beside its MemberAdd may need a moment). */
  giveUpAfterMs: number;
  logger: Logger;
}

/** Parses etcd's /members JSON, keeping the uint64 ids exact. */
export function parseMembersJson(text: string): MemberRecord[] {
  const exact = text.replace(/"id"\s*:\s*(\d+)/g, '"id":"$1"');
  const parsed = JSON.parse(exact) as Array<{ id: string; name?: string; peerURLs?: string[]; clientURLs?: string[] }>;
  if (!Array.isArray(parsed)) throw new Error('members: not a JSON array');
  return parsed.map((member) => ({
    id: BigInt(member.id),
    name: member.name ?? '',
    peerUrls: member.peerURLs ?? [],
    clientUrls: member.clientURLs ?? [],
    isLearner: false,
  }));
}

export function fetchMembers(peerUrl: string, socketFactory: SocketFactory, timeoutMs: number): Promise<RemoteCluster> {
  const url = new URL('/members', peerUrl);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        method: 'GET',
        host: url.hostname,
        port: url.port,
        path: '/members',
        // The member's own peer socket factory: TCP, unix or TLS with its peer certificate.
        // No `agent` option: with one (even `false`) Node dials with the agent and ignores this.
        createConnection: () => socketFactory.connect(new URL(peerUrl), () => undefined),
        timeout: timeoutMs,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          try {
            if (response.statusCode !== 200) throw new Error(`GET ${url.href}: status ${response.statusCode}`);
            const header = response.headers['x-etcd-cluster-id'];
            if (typeof header !== 'string') throw new Error(`GET ${url.href}: no X-Etcd-Cluster-ID header`);
            resolve({ clusterId: parseId(header), members: parseMembersJson(Buffer.concat(chunks).toString()) });
          } catch (error) {
            reject(error);
          }
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error(`GET ${url.href}: timed out after ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end();
  });
}

/** Asks each peer URL in turn, round after round, until one answers or time runs out. */
export async function getClusterFromRemotePeers(options: RemoteClusterOptions): Promise<RemoteCluster> {
  const deadline = Date.now() + options.giveUpAfterMs;
  let lastError: unknown;
  for (;;) {
    for (const peerUrl of options.peerUrls) {
      try {
        return await fetchMembers(peerUrl, options.socketFactory, options.requestTimeoutMs);
      } catch (error) {
        lastError = error;
      }
    }
    if (Date.now() >= deadline) break;
    options.logger.warn('failed to get cluster response', { address: options.peerUrls, error: lastError });
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, Math.max(0, deadline - Date.now()))));
  }
  throw new Error(`cannot fetch cluster info from peer urls: could not retrieve cluster information from the given URLs (${String(lastError)})`);
}

/** The member whose peer URLs are `ownPeerUrls` (order does not matter), as ValidateClusterAndAssignIDs matches them. */
export function findSelf(cluster: RemoteCluster, ownPeerUrls: readonly string[]): MemberRecord | undefined {
  const key = (urls: readonly string[]) => urls.map(normalizedUrl).sort().join(',');
  const wanted = key(ownPeerUrls);
  return cluster.members.find((member) => key(member.peerUrls) === wanted);
}

function normalizedUrl(url: string): string {
  try {
    return new URL(url).href.replace(/\/$/, '');
  } catch {
    return url;
  }
}
