// etcd-ts as a library: `import { startMember, startCluster } from 'etcd-ts'`.
// See docs/embedding.md.

export { startMember, type Member, type MemberState } from './member.js';
export { startCluster, type Cluster, type ClusterOptions, type ClusterMemberOptions } from './cluster.js';
export { MemberOptionError, type MemberOptions, type EmbedOnlyOptions } from './options.js';
export type { FlagOptions, DurationOption } from './flag-options.js';
export { PortInUseError } from './ports.js';
export { DataDirLockedError } from '../server/data-dir-lock.js';
export { createLogger, silentLogger, type Logger, type LogLevel, type LogFields } from '../pkg/logger.js';
export type { EtcdServer } from '../server/etcd-server.js';
