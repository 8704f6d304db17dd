// The named buckets of the backend, as etcd names them (server/storage/schema/bucket.go).
// Each bucket is an LMDB named sub-database of the one environment file.
export const bucketNames = [
  'key',
  'meta',
  'lease',
  'alarm',
  'cluster',
  'members',
  'members_removed',
  'auth',
  'authUsers',
  'authRoles',
] as const;

export type BucketName = (typeof bucketNames)[number];

// Keys of the meta bucket that this module and mvcc/ own. Other modules keep their
// own meta keys next to their code.
export const metaConsistentIndexKey = Buffer.from('consistent_index');
export const metaTermKey = Buffer.from('term');
