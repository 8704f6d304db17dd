// What etcd's peer port answers over plain HTTP besides Raft (etcdserver/api/
// etcdhttp/peer.go): GET /members, the member table as JSON with the cluster
// id in X-Etcd-Cluster-ID, which a member joining with
// --initial-cluster-state=existing asks to learn its own id; and GET /version.
// The transport hands such connections over (PeerTransportOptions.httpHandler).

import * as http from 'node:http';
import type * as net from 'node:net';
import { formatId } from './ids.js';
import type { MemberRecord } from './member-record.js';

export interface PeerHttpSource {
  clusterId(): bigint;
  members(): readonly MemberRecord[];
  versions: { etcdserver: string; etcdcluster: string };
}

/** etcd's JSON for one member: ids are uint64 JSON numbers, which JSON.stringify cannot write exactly. */
export function membersJson(members: readonly MemberRecord[]): string {
  const entries = members.map(
    (member) =>
      `{"id":${member.id.toString()},"name":${JSON.stringify(member.name)},"peerURLs":${JSON.stringify(member.peerUrls)},"clientURLs":${JSON.stringify(member.clientUrls)}}`,
  );
  return `[${entries.join(',')}]`;
}

/** A handler for PeerTransportOptions.httpHandler: the socket and the bytes read from it so far. */
export function peerHttpHandler(source: PeerHttpSource): (socket: net.Socket, head: Buffer) => void {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET', 'Content-Type': 'text/plain; charset=utf-8' });
      response.end('Method Not Allowed\n');
      return;
    }
    if (path === '/members') {
      response.writeHead(200, { 'Content-Type': 'application/json', 'X-Etcd-Cluster-ID': formatId(source.clusterId()) });
      response.end(membersJson(source.members()));
      return;
    }
    if (path === '/version') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify(source.versions));
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('404 page not found\n');
  });
  // Peers ask once and hang up; an idle connection is not kept.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  return (socket, head) => {
    // The socket is already flowing: pause it so the bytes put back reach the
    // server's parser once resumed, instead of sitting in the buffer.
    socket.pause();
    socket.unshift(head);
    server.emit('connection', socket);
    socket.resume();
  };
}
