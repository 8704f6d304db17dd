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
import { createGateway, type GatewayService } from './gateway/gateway.js';
import { LeaderForwarding, memberTlsCredentials } from './leader-forwarding.js';
import { LeaseForwarding } from './lease-forwarding.js';
import { ETCD_API_VERSION, ETCD_CLUSTER_VERSION, requestTimeoutMs } from '../server/config.js';
import { PACKAGE_VERSION } from '../pkg/version.js';
import { setUpMemberTls, type MemberTls } from '../server/member-tls.js';
import { join } from 'node:path';
import { WriteAheadLog } from '../wal/write-ahead-log.js';
import { hashKv } from '../mvcc/index.js';
import { checkInitialHashKv } from '../server/initial-corrupt-check.js';
import { startPeriodicCorruptCheck, type PeriodicCorruptCheck } from '../server/periodic-corrupt-check.js';
import { endSnapshotStreams } from './snapshot-streams.js';
import { grpcPeerHashKv } from './peer-hash-kv.js';
import { tcpSocketFactory, tlsSocketFactory } from '../transport/index.js';
import { authService } from './auth-service.js';
import { electionService } from './election-service.js';
import { lockService } from './lock-service.js';
import { Callers, ClientCertificateNames, tokenOf } from './callers.js';
import { audited } from './audited.js';
import { AuditLog } from '../audit/index.js';
import { MemberMetrics } from '../metrics/index.js';
import { learnerInterceptor, refuseIfLearner } from './learner-rule.js';
import { listenForMetrics, type MetricsListener } from './metrics-listener.js';
import { backupSettings, startMemberBackups } from './member-backups.js';
import type { BackupScheduler } from '../server/backup-scheduler.js';
import { memberDashboard } from './dashboard/member-dashboard.js';
import type { DashboardListener } from './dashboard/dashboard-listener.js';
import { startClientFront, type ClientFront } from './front/client-front.js';

// etcd lets a request be this much larger than --max-request-bytes on the
// wire, so that the size check (and its error) happens in the server.
const GRPC_OVERHEAD_BYTES = 512 * 1024;
/** How long a stopping member lets snapshot streams send what they buffered and their error status. */
const SNAPSHOT_STOP_GRACE_MS = 2000;

export interface RunningMember {
  server: EtcdServer;
  clientListeners: ClientListener[];
  /** Reopens the audit log file (after log rotation moved it); no-op without one. */
  reopenAuditLog(): void;
  stop(): Promise<void>;
  /** Stops as if killed (-9): see EtcdServer.kill. */
  kill(): Promise<void>;
  /**
   * Called if the client transport thread dies (a bug): the member then
   * serves no client. The etcd-ts command exits, as etcd panics.
   */
  onFailure(listener: (error: Error) => void): void;
}

export interface StartOptions {
  /**
   * Node's process_* and nodejs_* series on /metrics (default true). prom-client's
   * collectors cannot be removed again (each leaves a GC observer and an event-loop
   * monitor running), so members embedded many times in one process leave them out.
   */
  processMetrics?: boolean;
}

export async function startMember(config: MemberConfig, logger: Logger, options: StartOptions = {}): Promise<RunningMember> {
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
  if (config.v2Requested) embedLogger.warn('--enable-v2 is set, but etcd-ts serves only the v3 API; v2 requests will not be answered');
  // TLS first: a bad certificate is refused before anything touches the data dir.
  const memberTls = setUpMemberTls(config, logger);
  // --backup-dir: a bad --backup-encryption-key-file is refused here too.
  const backups = backupSettings(config);
  const peerSocketFactory = memberTls.peer === undefined ? tcpSocketFactory : tlsSocketFactory(memberTls.peer, logger.child('embed/config_logging.go'));
  // etcd checks only a member that had data before this start.
  const memberInitialized = await WriteAheadLog.exists(config.walDir || join(config.dataDir, 'member', 'wal'));
  // The member's own registry: several members may share a process (tests).
  const metrics = new MemberMetrics({
    level: config.metricsLevel,
    serverVersion: ETCD_API_VERSION,
    clusterVersion: ETCD_CLUSTER_VERSION.split('.').slice(0, 2).join('.'),
    quotaBackendBytes: config.quotaBackendBytes,
    processMetrics: options.processMetrics ?? true,
  });
  const server = await EtcdServer.start(config, logger, { peerSocketFactory, metrics });
  metrics.bind(server.metricsSource());
  await server.whenReady();
  if (config.initialCorruptCheck && memberInitialized) {
    try {
      await checkAgainstPeers(server, config, memberTls, logger);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  const grpcOptions = {
    'grpc.max_receive_message_length': config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    'grpc.max_send_message_length': 2 ** 31 - 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
    // Channelz (gRPC's introspection service, which etcd does not offer)
    // would otherwise track every call: closures and timestamps per request.
    'grpc.enable_channelz': 0,
    'grpc.max_concurrent_streams': Math.min(config.maxConcurrentStreams, 2 ** 31 - 1),
  };
  const certificateNames = new ClientCertificateNames();
  const callers = new Callers(() => server.auth, {
    clientCertAuth: config.clientTls.clientCertAuth,
    certificateNames,
    logger: logger.child('auth/store.go'),
    appliedIndex: () => server.appliedIndex,
    waitApplied: (index) => server.waitApplied(index),
  });
  const auditLog = config.auditLogPath ? await AuditLog.open({ path: config.auditLogPath, memberId: formatId(server.memberId), logger: logger.child('audit') }) : undefined;
  // With --audit-log-path every service's requests are logged; without it, nothing is wrapped.
  // Every service's implementation, as registered with gRPC: the JSON gateway calls these same handlers.
  const services = new Map<string, GatewayService>();
  // As the gRPC server runs them: the definitions count bytes for grpc_server_* (the transport thread's calls too).
  const instrumentedServices: GatewayService[] = [];
  const addService = (name: string, implementation: grpc.UntypedServiceImplementation, options: { exactLongs?: boolean; packageName?: string } = {}) => {
    const service = {
      definition: serviceDefinition(name, options),
      implementation: auditLog ? audited(`${options.packageName ?? 'etcdserverpb'}.${name}`, implementation, auditLog, callers) : implementation,
    };
    services.set(name, service);
    const instrumented = metrics.grpc.instrument(service.definition);
    instrumentedServices.push({ definition: instrumented, implementation: service.implementation });
  };
  addService('KV', kvService(server, callers));
  const forwarding = new LeaderForwarding(() => server.leaderClientUrls(), memberTls.client);
  const leaseForwarding = new LeaseForwarding(forwarding, requestTimeoutMs(config));
  addService('Maintenance', maintenanceService(server, callers), { exactLongs: true });
  addService('Cluster', clusterService(server, forwarding, callers), { exactLongs: true });
  addService('Auth', authService(server, callers));
  addService(
    'Watch',
    watchService({
      // The member's one watchable store: a snapshot restores it in place, and open streams stay.
      watchableStore: server.watchableStore,
      header: (revision) => server.header(revision),
      progressNotifyIntervalMs: config.watchProgressNotifyIntervalMs,
      maxResponseBytes: config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
      access: {
        enabled: () => server.auth.enabled,
        revision: () => server.auth.revision,
        callerOf: (call) => callers.of(call),
        // etcd's isWatchPermitted: no user means the empty user, refused once auth is on.
        checkRead: (caller, key, rangeEnd) => server.auth.isRangePermitted(caller, key, rangeEnd),
      },
    }),
  );
  const forwardedToken = (call?: { metadata: grpc.Metadata }) => (call ? tokenOf(call.metadata) : undefined) ?? '';
  addService(
    'Lease',
    leaseService({
      newLeaseId: () => server.newLeaseId(),
      proposeLeaseGrant: (request, caller) => server.grantLease(request, caller),
      proposeLeaseRevoke: (request, caller) => server.revokeLease(request, caller),
      callerOf: (call) => callers.of(call),
      checkRenew: (id, caller) => server.checkLeaseRenew(id, caller),
      checkKeysReadable: (ids, caller) => server.checkLeaseKeysReadable(ids, caller),
      // Only the leader's lessor renews and knows remaining TTLs; followers ask it, with the caller's token.
      renew: (id, call) => (server.isLeader ? server.renewLease(id) : leaseForwarding.renew(id, forwardedToken(call))),
      timeToLive: (id, withKeys, call) => (server.isLeader ? server.leaseTimeToLive(id, withKeys) : leaseForwarding.timeToLive(id, withKeys, forwardedToken(call))),
      leaseIds: () => server.leaseIds(),
      header: () => server.header(server.currentRevision()),
    }),
  );
  addService('Election', electionService(server, callers), { packageName: 'v3electionpb' });
  addService('Lock', lockService(server, callers), { packageName: 'v3lockpb' });


  const callMetrics = (path: string, requestStream: boolean, responseStream: boolean) => metrics.grpc.startCall(path, requestStream, responseStream);
  const screenCall = (path: string, streaming: boolean, request: unknown) => refuseIfLearner(server.isLearner, path, streaming, request);
  const gateway = createGateway({
    services,
    maxReceiveBytes: config.maxRequestBytes + GRPC_OVERHEAD_BYTES,
    maxConcurrentStreams: config.maxConcurrentStreams,
    refuseCertificateNames: () => config.clientTls.clientCertAuth && server.auth.enabled,
    commonNameOf: (peer) => certificateNames.commonNameOf(peer),
    logger: embedLogger,
    callMetrics,
    screenCall,
  });
  const clientListeners: ClientListener[] = [];
  const metricsListeners: MetricsListener[] = [];
  const dashboardListeners: DashboardListener[] = [];
  // The web dashboard at /ui/ (--dashboard, --listen-dashboard-urls): src/api/dashboard/.
  const dashboard = memberDashboard(config, { source: server, gateway, metrics, tls: memberTls.client, logger: embedLogger });
  let corruptCheck: PeriodicCorruptCheck | undefined;
  let clientFront: ClientFront | undefined;
  let grpcServer: grpc.Server | undefined;
  const failureListeners = new Set<(error: Error) => void>();
  let backupScheduler: BackupScheduler | undefined;
  const shutDown = async (kill: boolean) => {
    corruptCheck?.stop();
    // Before the backend closes: a backup under way is cancelled and cleaned up.
    await backupScheduler?.stop();
    // Snapshot streams get "etcdserver: server stopped" before their connections close.
    if (!kill) await endSnapshotStreams(server, SNAPSHOT_STOP_GRACE_MS);
    for (const listener of clientListeners) await listener.close();
    for (const listener of metricsListeners) await listener.close();
    for (const listener of dashboardListeners) await listener.close();
    await clientFront?.stop();
    grpcServer?.forceShutdown();
    leaseForwarding.close();
    forwarding.close();
    await (kill ? server.kill() : server.stop());
    await auditLog?.close();
  };
  try {
    const httpHandler = dashboard.onClientUrls(httpRoutes(server, gateway, metrics));
    // TLS, HTTP/2 and gRPC framing on a thread of their own (src/api/front/), or here with grpc-js.
    let openClientListener: (address: ClientAddress) => Promise<ClientListener>;
    if (config.clientTransportThreads === 0) {
      const inlineServer = new grpc.Server({
        ...grpcOptions,
        // grpc_server_* metrics: every call's messages and status, for every service;
        // then etcd's learner rule (only a learner pays for it).
        interceptors: [metrics.grpc.interceptor, learnerInterceptor(() => server.isLearner)],
      });
      grpcServer = inlineServer;
      for (const service of instrumentedServices) inlineServer.addService(service.definition, service.implementation);
      const injector = inlineServer.createConnectionInjector(grpc.ServerCredentials.createInsecure());
      openClientListener = (address) =>
        listenForClients({
          host: address.host,
          port: address.port,
          plaintext: address.plaintext,
          tls: address.secure ? memberTls.client : undefined,
          grpcInjector: injector,
          httpHandler,
          logger: embedLogger,
          certificateNames,
        });
    } else {
      const front = await startClientFront({
        services: instrumentedServices,
        grpcOptions,
        tls: memberTls.client,
        httpHandler,
        certificateNames,
        logger,
        callMetrics,
        screenCall,
        onFailure: (error) => {
          for (const listener of failureListeners) listener(error);
        },
      });
      clientFront = front;
      openClientListener = (address) => front.listen(address);
    }
    for (const address of clientAddresses(config.listenClientUrls)) {
      const listener = await openClientListener(address);
      clientListeners.push(listener);
    }
    // --listen-metrics-urls: /metrics and the health endpoints only (https with the client TLS settings).
    for (const url of config.listenMetricsUrls) {
      metricsListeners.push(await listenForMetrics(url, { source: server, metrics, tls: memberTls.client, logger: embedLogger }));
    }
    dashboardListeners.push(...(await dashboard.listen()));
  } catch (error) {
    // A port in use: nothing of this start stays behind (listeners, peer port, data-dir lock).
    await shutDown(false);
    throw error;
  }
  // etcd's e2e harness takes these lines as "ready": etcd has its client listeners open by then.
  const serverLogger = logger.child('etcdserver/server.go');
  serverLogger.info('set initial cluster version', { 'cluster-id': formatId(server.clusterId), 'local-member-id': formatId(server.memberId), 'cluster-version': '3.5' });
  serverLogger.info('enabled capabilities for version', { 'cluster-version': '3.5' });
  corruptCheck = startCorruptMonitor(server, config, memberTls, logger);
  if (backups !== undefined) backupScheduler = startMemberBackups(backups, server, metrics.registry, logger);
  embedLogger.info('ready to serve client requests');
  for (const url of config.listenClientUrls) {
    if (url.protocol === 'https:') embedLogger.info('serving client traffic securely', { address: url.host });
    else embedLogger.info('serving client traffic insecurely; this is strongly discouraged!', { address: url.host });
  }

  return {
    server,
    clientListeners,
    reopenAuditLog: () => auditLog?.reopen(),
    stop: () => shutDown(false),
    kill: () => shutDown(true),
    onFailure: (listener) => failureListeners.add(listener),
  };
}

interface ClientAddress {
  host: string;
  port: number;
  plaintext: boolean;
  secure: boolean;
}

/** One listener per host and port: http:// and https:// URLs on the same port share it, as in etcd. */
function clientAddresses(urls: readonly URL[]): ClientAddress[] {
  const byAddress = new Map<string, ClientAddress>();
  for (const url of urls) {
    const host = bindHostOf(url);
    const port = Number(url.port);
    const key = `${host} ${port}`;
    const address = byAddress.get(key) ?? { host, port, plaintext: false, secure: false };
    if (url.protocol === 'https:') address.secure = true;
    else address.plaintext = true;
    byAddress.set(key, address);
  }
  return [...byAddress.values()];
}

/** --experimental-corrupt-check-time: the leader's periodic hash comparison (undefined when off). */
function startCorruptMonitor(server: EtcdServer, config: MemberConfig, memberTls: MemberTls, logger: Logger): PeriodicCorruptCheck | undefined {
  const credentials = memberTls.client ? memberTlsCredentials(memberTls.client) : undefined;
  return startPeriodicCorruptCheck({
    localMemberId: server.memberId,
    intervalMs: config.corruptCheckTimeMs,
    logger,
    isLeader: () => server.isLeader,
    localHashKv: () => {
      const local = hashKv(server.watchableStore.kv, 0);
      return { hash: local.hash, revision: local.hashRevision, compactRevision: local.compactRevision };
    },
    members: () => server.members().map((member) => ({ id: member.id, clientUrls: member.clientUrls })),
    peerHashKv: grpcPeerHashKv({ timeoutMs: requestTimeoutMs(config), ...(credentials ? { credentials } : {}) }),
    linearizableReadNotify: () => server.linearizableReadNotify(),
    proposeAlarm: (request) => server.alarm({ action: request.action, memberID: String(request.memberID), alarm: request.alarm }),
  });
}

/** --experimental-initial-corrupt-check: this member's KV hash against its peers' at the same revision. */
async function checkAgainstPeers(server: EtcdServer, config: MemberConfig, memberTls: MemberTls, logger: Logger): Promise<void> {
  const timeoutMs = requestTimeoutMs(config);
  const credentials = memberTls.client ? memberTlsCredentials(memberTls.client) : undefined;
  const local = hashKv(server.watchableStore.kv, 0);
  await checkInitialHashKv({
    localMemberId: server.memberId,
    local: { hash: local.hash, revision: local.hashRevision, compactRevision: local.compactRevision },
    peers: server.members().map((member) => ({ id: member.id, clientUrls: member.clientUrls })),
    peerHashKv: grpcPeerHashKv({ timeoutMs, ...(credentials ? { credentials } : {}) }),
    logger,
    timeoutMs,
  });
}
