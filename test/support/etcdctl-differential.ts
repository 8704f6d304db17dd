// The same etcdctl steps against our member and the real etcd 3.4: outputs
// compared once what legitimately differs (ids, terms, addresses) is masked.

import type { MemberProcess } from './member-process.js';
import { etcdctl, type CommandResult } from './etcdctl.js';

export interface EtcdctlStep {
  args: string[];
  stdin?: string;
}

/** Masks ids, terms, addresses and timestamps; `extraMasks` for a test's own (e.g. lease ids). */
export function normalizeEtcdctl(result: CommandResult, extraMasks: ReadonlyArray<[RegExp, string]> = []): string {
  const maskText = (text: string) => {
    let masked = text
      .replace(/"(cluster_id|member_id|raft_term|ID)":\s*"?\d+"?/g, '"$1":"<masked>"')
      .replace(/"(ClusterID|MemberID|RaftTerm)" : \d+/g, '"$1" : <masked>')
      .replace(/127\.0\.0\.1:\d+/g, '<endpoint>')
      .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"');
    for (const [pattern, replacement] of extraMasks) masked = masked.replace(pattern, replacement);
    return masked;
  };
  // etcdctl prints a client-side retry warning before the error line; the error itself is what counts.
  const errorLines = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('Error:'))
    .join('\n');
  return `exit=${result.code}\n${maskText(result.stdout)}\n${maskText(errorLines)}`;
}

/** Runs every step on both members in order; returns one description per step whose outputs differ. */
export async function etcdctlMismatches(ours: MemberProcess, reference: MemberProcess, steps: readonly EtcdctlStep[], normalize = (result: CommandResult) => normalizeEtcdctl(result)): Promise<string[]> {
  const mismatches: string[] = [];
  for (const step of steps) {
    const [ourResult, referenceResult] = await Promise.all([
      etcdctl(ours.endpoint, step.args, { stdin: step.stdin }),
      etcdctl(reference.endpoint, step.args, { stdin: step.stdin }),
    ]);
    const ourText = normalize(ourResult);
    const referenceText = normalize(referenceResult);
    if (ourText !== referenceText) mismatches.push(`etcdctl ${step.args.join(' ')}\n--- etcd-ts\n${ourText}\n--- etcd 3.4\n${referenceText}`);
  }
  return mismatches;
}
