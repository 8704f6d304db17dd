// `npm run chaos -- --members 5 --duration 300 --seed S`: one chaos run from
// the command line; exits 1 when any check failed. Members are killed by PID
// on every way out, Ctrl-C included.

import { killAllClustersNow } from '../../support/cluster-process.js';
import { parseArgs } from './options.js';
import { runChaos } from './run-chaos.js';

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
process.on('exit', killAllClustersNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllClustersNow();
    process.exit(130);
  });
}
const report = await runChaos(options);
console.log(report.summary);
process.exit(report.ok ? 0 : 1);
