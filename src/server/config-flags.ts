// etcd's server flags: name, kind, default and help text. Each can also be
// set as ETCD_<FLAG_NAME>. Flags marked `accepted` are taken for
// compatibility with etcd's command lines and have no effect yet.

export type FlagKind = 'string' | 'uint' | 'int' | 'bool' | 'duration';

export interface FlagSpec {
  kind: FlagKind;
  defaultValue: string;
  help: string;
  /** Taken so etcd's command lines start a member, without effect yet (the README lists them). */
  accepted?: true;
}

export const FLAGS: Record<string, FlagSpec> = {
  name: { kind: 'string', defaultValue: 'default', help: 'Human-readable name for this member.' },
  'data-dir': { kind: 'string', defaultValue: '', help: 'Path to the data directory (default "${name}.etcd").' },
  'wal-dir': { kind: 'string', defaultValue: '', help: 'Path to the dedicated wal directory.' },
  'listen-client-urls': { kind: 'string', defaultValue: 'http://localhost:2379', help: 'List of URLs to listen on for client traffic.' },
  'advertise-client-urls': { kind: 'string', defaultValue: 'http://localhost:2379', help: 'List of this member\'s client URLs to advertise to the public.' },
  'listen-peer-urls': { kind: 'string', defaultValue: 'http://localhost:2380', help: 'List of URLs to listen on for peer traffic.' },
  'initial-advertise-peer-urls': { kind: 'string', defaultValue: 'http://localhost:2380', help: 'List of this member\'s peer URLs to advertise to the rest of the cluster.' },
  'initial-cluster': { kind: 'string', defaultValue: '', help: 'Initial cluster configuration for bootstrapping (default "${name}=${initial-advertise-peer-urls}").' },
  'initial-cluster-state': { kind: 'string', defaultValue: 'new', help: 'Initial cluster state (\'new\' or \'existing\').' },
  'initial-cluster-token': { kind: 'string', defaultValue: 'etcd-cluster', help: 'Initial cluster token for the etcd cluster during bootstrap.' },
  'heartbeat-interval': { kind: 'uint', defaultValue: '100', help: 'Time (in milliseconds) of a heartbeat interval.' },
  'election-timeout': { kind: 'uint', defaultValue: '1000', help: 'Time (in milliseconds) for an election to timeout.' },
  'snapshot-count': { kind: 'uint', defaultValue: '100000', help: 'Number of committed transactions to trigger a snapshot to disk.' },
  'experimental-snapshot-catchup-entries': { kind: 'uint', defaultValue: '5000', help: 'Number of entries for a slow follower to catch up after compacting the raft storage entries.' },
  'backend-batch-interval': { kind: 'duration', defaultValue: '', help: 'BackendBatchInterval is the maximum time before commit the backend transaction.' },
  'backend-batch-limit': { kind: 'uint', defaultValue: '0', help: 'BackendBatchLimit is the maximum operations before commit the backend transaction.' },
  'max-request-bytes': { kind: 'uint', defaultValue: String(1.5 * 1024 * 1024), help: 'Maximum client request size in bytes the server will accept.' },
  'max-txn-ops': { kind: 'uint', defaultValue: '128', help: 'Maximum number of operations permitted in a transaction.' },
  'quota-backend-bytes': { kind: 'int', defaultValue: '0', help: 'Raise alarms when backend size exceeds the given quota (0 defaults to low space quota).' },
  'log-level': { kind: 'string', defaultValue: 'info', help: 'Configures log level. Only supports debug, info, warn, error, panic, or fatal.' },
  logger: { kind: 'string', defaultValue: 'zap', help: 'Currently only supports \'zap\' for structured logging.' },
  'log-output': { kind: 'string', defaultValue: 'default', help: '[TO BE DEPRECATED IN 3.5] use \'log-outputs\'.', accepted: true },
  'log-outputs': { kind: 'string', defaultValue: 'default', help: 'Specify \'stdout\' or \'stderr\' to skip journald logging even when running under systemd.' },
  'experimental-watch-progress-notify-interval': { kind: 'duration', defaultValue: '10m', help: 'Duration of periodic watch progress notifications.' },
  'experimental-enable-lease-checkpoint': { kind: 'bool', defaultValue: 'false', help: 'Enable leader to send regular checkpoints to other members to prevent reset of remaining TTL on leader change.' },
  'experimental-lease-checkpoint-interval': { kind: 'duration', defaultValue: '5m', help: 'Duration of periodic lease checkpoints.' },
  'config-file': { kind: 'string', defaultValue: '', help: 'Path to the server configuration file (etcd\'s YAML). Other flags and ETCD_* variables are then ignored.' },
  // Client port TLS.
  'cert-file': { kind: 'string', defaultValue: '', help: 'Path to the client server TLS cert file.' },
  'key-file': { kind: 'string', defaultValue: '', help: 'Path to the client server TLS key file.' },
  'client-cert-auth': { kind: 'bool', defaultValue: 'false', help: 'Enable client cert authentication.' },
  'client-crl-file': { kind: 'string', defaultValue: '', help: 'Path to the client certificate revocation list file.' },
  'client-cert-allowed-hostname': { kind: 'string', defaultValue: '', help: 'Allowed TLS hostname for client cert authentication.' },
  'trusted-ca-file': { kind: 'string', defaultValue: '', help: 'Path to the client server TLS trusted CA cert file.' },
  'auto-tls': { kind: 'bool', defaultValue: 'false', help: 'Client TLS using generated certificates.' },
  // Peer port TLS.
  'peer-cert-file': { kind: 'string', defaultValue: '', help: 'Path to the peer server TLS cert file.' },
  'peer-key-file': { kind: 'string', defaultValue: '', help: 'Path to the peer server TLS key file.' },
  'peer-client-cert-auth': { kind: 'bool', defaultValue: 'false', help: 'Enable peer client cert authentication.' },
  'peer-trusted-ca-file': { kind: 'string', defaultValue: '', help: 'Path to the peer server TLS trusted CA file.' },
  'peer-auto-tls': { kind: 'bool', defaultValue: 'false', help: 'Peer TLS using generated certificates' },
  'peer-crl-file': { kind: 'string', defaultValue: '', help: 'Path to the peer certificate revocation list file.' },
  'peer-cert-allowed-cn': { kind: 'string', defaultValue: '', help: 'Allowed CN for inter peer authentication.' },
  'peer-cert-allowed-hostname': { kind: 'string', defaultValue: '', help: 'Allowed TLS hostname for inter peer authentication.' },
  'experimental-peer-skip-client-san-verification': { kind: 'bool', defaultValue: 'false', help: 'Skip verification of SAN field in client certificate for peer connections.', accepted: true },
  'cipher-suites': { kind: 'string', defaultValue: '', help: 'Comma-separated list of supported TLS cipher suites between client/server and peers (empty will be auto-populated).' },
  'tls-min-version': { kind: 'string', defaultValue: 'TLS1.2', help: 'Minimum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3.' },
  'tls-max-version': { kind: 'string', defaultValue: '', help: 'Maximum TLS version supported by etcd. Possible values: TLS1.2, TLS1.3 (empty will be auto-populated).' },
  'self-signed-cert-validity': { kind: 'uint', defaultValue: '1', help: 'The validity period of the client and peer certificates generated by --auto-tls and --peer-auto-tls, in years.' },
  // Clustering and safety.
  'strict-reconfig-check': { kind: 'bool', defaultValue: 'true', help: 'Reject reconfiguration requests that would cause quorum loss.' },
  'force-new-cluster': { kind: 'bool', defaultValue: 'false', help: 'Force to create a new one member cluster.' },
  'experimental-initial-corrupt-check': { kind: 'bool', defaultValue: 'false', help: 'Enable to check data corruption before serving any client/peer traffic.' },
  'experimental-corrupt-check-time': { kind: 'duration', defaultValue: '0s', help: 'Duration of time between cluster corruption check passes.' },
  'initial-election-tick-advance': { kind: 'bool', defaultValue: 'true', help: 'Whether to fast-forward initial election ticks on boot for faster election.', accepted: true },
  'pre-vote': { kind: 'bool', defaultValue: 'false', help: 'Enable to run an additional Raft election phase.', accepted: true },
  'max-snapshots': { kind: 'uint', defaultValue: '5', help: 'Maximum number of snapshot files to retain (0 is unlimited).', accepted: true },
  'max-wals': { kind: 'uint', defaultValue: '5', help: 'Maximum number of wal files to retain (0 is unlimited).', accepted: true },
  'unsafe-no-fsync': { kind: 'bool', defaultValue: 'false', help: 'Disables fsync, unsafe, will cause data loss.', accepted: true },
  // The client side of gRPC.
  'max-concurrent-streams': { kind: 'uint', defaultValue: '4294967295', help: 'Maximum concurrent streams that each client can open at a time.' },
  'grpc-keepalive-min-time': { kind: 'duration', defaultValue: '5s', help: 'Minimum interval duration that a client should wait before pinging server.', accepted: true },
  'grpc-keepalive-interval': { kind: 'duration', defaultValue: '2h', help: 'Frequency duration of server-to-client ping to check if a connection is alive (0 to disable).', accepted: true },
  'grpc-keepalive-timeout': { kind: 'duration', defaultValue: '20s', help: 'Additional duration of wait before closing a non-responsive connection (0 to disable).', accepted: true },
  'enable-grpc-gateway': { kind: 'bool', defaultValue: 'true', help: 'Enable GRPC gateway.', accepted: true },
  cors: { kind: 'string', defaultValue: '', help: 'Comma-separated white list of origins for CORS, or cross-origin resource sharing, (empty or * means allow all).', accepted: true },
  'host-whitelist': { kind: 'string', defaultValue: '*', help: 'Comma-separated acceptable hostnames from HTTP client requests, if server is not secure (empty means allow all).', accepted: true },
  // Auth, metrics and profiling (their behaviour comes with their own work).
  'auth-token': { kind: 'string', defaultValue: 'simple', help: 'Specify auth token specific options.' },
  'bcrypt-cost': { kind: 'uint', defaultValue: '10', help: 'Specify bcrypt algorithm cost factor for auth password hashing.' },
  'auth-token-ttl': { kind: 'uint', defaultValue: '300', help: 'The lifetime in seconds of the auth token.' },
  'audit-log-path': { kind: 'string', defaultValue: '', help: 'Write one JSON line per client request to this file (etcd-ts; reopened on SIGHUP).' },
  'enable-audit': { kind: 'bool', defaultValue: 'false', help: 'Write the audit log to <data-dir>/audit.log unless --audit-log-path names a file (etcd-ts).' },
  'listen-metrics-urls': { kind: 'string', defaultValue: '', help: 'List of URLs to listen on for the metrics and health endpoints.' },
  // The web dashboard (etcd-ts): /ui/ on the client URLs, or only on --listen-dashboard-urls.
  dashboard: { kind: 'bool', defaultValue: 'true', help: 'Serve the web dashboard at /ui/ (etcd-ts; default true, --dashboard=false turns it off).' },
  'dashboard-read-only': { kind: 'bool', defaultValue: 'false', help: 'Hide the dashboard\'s editing (etcd-ts; default false). On --listen-dashboard-urls, gateway writes are refused there too; RBAC is the real protection.' },
  'listen-dashboard-urls': { kind: 'string', defaultValue: '', help: 'List of URLs to serve the dashboard (and the JSON gateway it calls) on, instead of the client URLs (etcd-ts).' },
  // The client port's transport on its own thread (etcd-ts; src/api/front/, docs/performance.md).
  'client-transport-threads': { kind: 'string', defaultValue: 'auto', help: 'Threads that carry the client port\'s TLS, HTTP/2 and gRPC framing apart from the member\'s own thread: 0 or 1 (etcd-ts; default auto: 1 when the machine has more than one core).' },
  metrics: { kind: 'string', defaultValue: 'basic', help: 'Set level of detail for exported metrics, specify \'extensive\' to include server side grpc histogram metrics' },
  'enable-pprof': { kind: 'bool', defaultValue: 'false', help: 'Enable runtime profiling data via HTTP server (Go\'s pprof; not served here).', accepted: true },
  debug: { kind: 'bool', defaultValue: 'false', help: 'Enable debug-level logging for etcd. [WARN] Will be deprecated in v3.5. Use \'--log-level=debug\' instead.' },
  'auto-compaction-retention': { kind: 'string', defaultValue: '0', help: 'Auto compaction retention for mvcc key value store. 0 means disable auto compaction.' },
  'auto-compaction-mode': { kind: 'string', defaultValue: 'periodic', help: 'interpret \'auto-compaction-retention\' one of: periodic|revision.' },
  // Scheduled backups (etcd-ts; src/server/backup-scheduler.ts).
  'backup-dir': { kind: 'string', defaultValue: '', help: 'Write a snapshot file here at each --backup-interval while this member is the leader (etcd-ts; empty: no backups).' },
  'backup-interval': { kind: 'duration', defaultValue: '1h', help: 'Time between scheduled backups (etcd-ts).' },
  'backup-retention': { kind: 'uint', defaultValue: '24', help: 'Number of scheduled backups kept in --backup-dir: the newest N (etcd-ts).' },
  'backup-encryption-key-file': { kind: 'string', defaultValue: '', help: 'Encrypt scheduled backups with AES-256-GCM using the key in this file: 32 raw bytes or 64 hex characters (etcd-ts).' },
  'experimental-backend-bbolt-freelist-type': { kind: 'string', defaultValue: 'map', help: 'ExperimentalBackendFreelistType specifies the type of freelist that boltdb backend uses(array and map are supported types)', accepted: true },
  'experimental-compaction-batch-limit': { kind: 'uint', defaultValue: '1000', help: 'Sets the maximum revisions deleted in each compaction batch.', accepted: true },
  'experimental-warning-apply-duration': { kind: 'duration', defaultValue: '100ms', help: 'Time duration after which a warning is generated if request takes more time.' },
  // The v2 API is not served: --enable-v2=true is refused at start.
  'enable-v2': { kind: 'bool', defaultValue: 'false', help: 'Accept etcd V2 client requests (not served: true is refused).' },
  'experimental-enable-v2v3': { kind: 'string', defaultValue: '', help: 'v3 prefix for serving emulated v2 state (not served: a value is refused).' },
  version: { kind: 'bool', defaultValue: 'false', help: 'Print the version and exit.' },
  help: { kind: 'bool', defaultValue: 'false', help: 'Show this help and exit.' },
};

