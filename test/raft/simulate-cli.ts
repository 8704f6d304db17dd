// Runs the Raft simulator from the command line:
//   npm run sim -- --seeds N [--start S]   run N seeds (from S, default 1)
//   npm run sim -- --seed S                reproduce one seed, verbosely
//   add --unsafe-commit to run the deliberately broken variant,
//   --profile leader-churn for the fault profile that provokes it
// Exits non-zero and prints the seed of every failure.

import { runSimulation } from './sim/simulation.js';

function argument(name: string): string | undefined {
  const position = process.argv.indexOf(name);
  return position >= 0 ? process.argv[position + 1] : undefined;
}

const single = argument('--seed');
const unsafe = process.argv.includes('--unsafe-commit');
const chaosTicks = argument('--chaos-ticks') ? Number(argument('--chaos-ticks')) : undefined;
const profile = argument('--profile') === 'leader-churn' ? 'leader-churn' : 'mixed';

if (single !== undefined) {
  const result = runSimulation({ seed: Number(single), unsafeCommitPreviousTermEntries: unsafe, chaosTicks, profile });
  console.log(JSON.stringify(result, null, 2));
  process.exit(result.ok ? 0 : 1);
}

const count = Number(argument('--seeds') ?? 100);
const start = Number(argument('--start') ?? 1);
const began = performance.now();
const failures: number[] = [];
let proposals = 0;
for (let seed = start; seed < start + count; seed++) {
  const result = runSimulation({ seed, unsafeCommitPreviousTermEntries: unsafe, chaosTicks, profile });
  proposals += result.appliedProposals;
  if (!result.ok) {
    failures.push(seed);
    console.log(`FAIL seed ${seed}: ${result.failure}`);
  }
}
const seconds = (performance.now() - began) / 1000;
console.log(`${count} seeds, ${failures.length} failed, ${proposals} proposals committed, ${seconds.toFixed(1)} s`);
if (failures.length > 0) {
  console.log(`reproduce with: npm run sim -- --seed ${failures[0]}${unsafe ? ' --unsafe-commit' : ''}`);
  process.exit(1);
}
