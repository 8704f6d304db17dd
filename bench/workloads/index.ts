// Every workload by name, in the order a full run takes them.

import type { Workload } from './workload.js';
import { putWorkload } from './put.js';
import { rangeWorkload } from './range.js';
import { txnPutWorkload } from './txn-put.js';
import { watchWorkload } from './watch.js';
import { leaseKeepAliveWorkload } from './lease-keepalive.js';
import { k8sLikeWorkload } from './k8s-like.js';
import { watchScaleWorkload } from './watch-scale.js';
import { leaseScaleWorkload } from './lease-scale.js';
import { keyMemoryWorkload } from './key-memory.js';

/** watch-scale, lease-scale and key-memory are opt-in (heavy; run them with --workloads). */
export const WORKLOADS: Workload[] = [putWorkload, rangeWorkload, txnPutWorkload, watchWorkload, leaseKeepAliveWorkload, k8sLikeWorkload, watchScaleWorkload, leaseScaleWorkload, keyMemoryWorkload];

export function workloadNamed(name: string): Workload {
  const workload = WORKLOADS.find((candidate) => candidate.name === name);
  if (!workload) throw new Error(`unknown workload "${name}" (known: ${WORKLOADS.map((known) => known.name).join(', ')})`);
  return workload;
}
