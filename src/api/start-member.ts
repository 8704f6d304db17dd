// Starts a member the way etcd's embed package does: storage and Raft first,
// then, once the member has published itself through Raft, the client port.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../pkg/logger.js';
import type { MemberConfig } from '../server/config.js';
import { EtcdServer } from '../server/etcd-server.js';
import { formatId } from '../server/membership/ids.js';
import { serviceDefinition } from '../proto/index.js';
import { kvService } from './kv-service.js';
import { maintenanceService } from './maintenance-service.js';
import { clusterService } from './cluster-service.js';
import { watchService } from './watch-service.js';
import { leaseService } from './lease-service.js';
import { listenForClients, type ClientListener } from './client-listener.js';
import { bindHostOf } from '../pkg/url-host.js';
import { httpRoutes } from './http-routes.js';
import { LeaderForwarding } from './leader-forwarding.js';
import { LeaseForwarding } from './lease-forwarding.js';
import { ETCD_API_VERSION } from '../server/config.js';
import { PACKAGE_VERSION } from '../pkg/version.js';

// etcd lets a request be this much larger than --max-request-bytes on the
// wire, so that the size check (and its error) happens in the server.
const GRPC_OVERHEAD_BYTES = 512 * 1024;

export interface RunningMember {
  server: EtcdServer;
  clientListeners: ClientListener[];
  stop(): Promise<void>;
}

export async function startMember(config: MemberConfig, logger: Logger): Promise<RunningMember> {
  const embedLogger = logger.child('embed/etcd.go');
  embedLogger.info('starting an etcd server', {
    'etcd-version': ETCD_API_VERSION,
    'etcd-ts-version': PACKAGE_VERSION,
    'node-version': process.version,
    name: config.name,
    'data-dir': config.dataDir,
    'listen-client-urls': config.listenClientUrls.map((url) => url.href),
    'advertise-client-urls': config.advertiseClientUrls.map((url) => url.href),
    'initial-cluster-state': config.initialClusterState,
    'max-request-bytes': config.maxRequestBytes,
  });
  const server = await EtcdServer.start(config, logger);
  await server.whenReady();

  const grpcServer = new grpc.Server({
    'grpc.max_receive_message_length': config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    'grpc.max_send_message_length': 2 ** 31 - 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
    // Channelz (gRPC's introspection service, which etcd does not offer)
    // would otherwise track every call: closures and timestamps per request.
    'grpc.enable_channelz': 0,
  });
  grpcServer.addService(serviceDefinition('KV'), kvService(server));
  const forwarding = new LeaderForwarding(() => server.leaderClientUrls());
  const leaseForwarding = new LeaseForwarding(forwarding, 5000 + 2 * config.electionTimeoutMs);
  grpcServer.addService(serviceDefinition('Maintenance', { exactLongs: true }), maintenanceService(server));
  grpcServer.addService(serviceDefinition('Cluster', { exactLongs: true }), clusterService(server, forwarding));
  grpcServer.addService(
    serviceDefinition('Watch'),
    watchService({
      // A getter: a snapshot restore replaces the store; new streams use the new one.
      get watchableStore() {
        return server.watchableStore;
      },
      header: (revision) => server.header(revision),
      progressNotifyIntervalMs: config.watchProgressNotifyIntervalMs,
      maxResponseBytes: config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    }),
  );
  grpcServer.addService(
    serviceDefinition('Lease'),
    leaseService({
      newLeaseId: () => server.newLeaseId(),
      proposeLeaseGrant: (request) => server.grantLease(request),
      proposeLeaseRevoke: (request) => server.revokeLease(request),
      // Only the leader's lessor renews and knows remaining TTLs; followers ask it.
      renew: (id) => (server.isLeader ? server.renewLease(id) : leaseForwarding.renew(id)),
      timeToLive: (id, withKeys) => (server.isLeader ? server.leaseTimeToLive(id, withKeys) : leaseForwarding.timeToLive(id, withKeys)),
      leaseIds: () => server.leaseIds(),
      header: () => server.header(server.currentRevision()),
    }),
  );
  const injector = grpcServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const serverLogger = logger.child('etcdserver/server.go');
  serverLogger.info('set initial cluster version', { 'cluster-id': formatId(server.clusterId), 'local-member-id': formatId(server.memberId), 'cluster-version': '3.5' });
  serverLogger.info('enabled capabilities for version', { 'cluster-version': '3.5' });

  const clientListeners: ClientListener[] = [];
  for (const url of config.listenClientUrls) {
    const listener = await listenForClients({
      host: bindHostOf(url),
      port: Number(url.port),
      grpcInjector: injector,
      httpHandler: httpRoutes(server),
    });
    clientListeners.push(listener);
  }
  embedLogger.info('ready to serve client requests');
  for (const url of config.listenClientUrls) {
    embedLogger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.host });
  }

  return {
    server,
    clientListeners,
    async stop() {
      for (const listener of clientListeners) await listener.close();
      grpcServer.forceShutdown();
      leaseForwarding.close();
      forwarding.close();
      await server.stop();
    },
  };
}
