// A member's Prometheus metrics (etcd's names), built on prom-client.
export { MemberMetrics, type MemberMetricsOptions, type MetricsLevel } from './metrics.js';
export { GrpcMetrics, type CallMetrics } from './grpc.js';
