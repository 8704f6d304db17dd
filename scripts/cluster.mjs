// `npm run cluster`: a local three-member etcd-ts cluster on loopback, laid
// out like etcd's Procfile — infra1/2/3 with clients on 2379/22379/32379 and
// peers on 2380/22380/32380, data in ./cluster.etcd/infraN.etcd (kept, so the
// next run resumes the same cluster; --temp uses a throwaway directory).
// Each member's log lines are prefixed with its name. Ctrl-C or SIGTERM
// stops all three by PID (SIGTERM, then SIGKILL if one hangs).
//
//   npm run cluster -- [--temp] [--client-ports 2379,22379,32379] [--peer-ports 2380,22380,32380] [-- extra member flags]

import { resolve } from 'node:path';
import { Cluster, killAllClustersNow } from '../dist/test/support/cluster-process.js';

const USAGE = 'usage: npm run cluster -- [--temp] [--client-ports A,B,C] [--peer-ports A,B,C] [-- <flags for every member>]';
const NAMES = ['infra1', 'infra2', 'infra3'];

function parse(argv) {
  const options = { temp: false, clientPorts: [2379, 22379, 32379], peerPorts: [2380, 22380, 32380], extraFlags: [] };
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index];
    const ports = () => {
      const list = (argv[++index] ?? '').split(',').map(Number);
      if (list.length !== 3 || list.some((port) => !Number.isInteger(port) || port <= 0 || port > 65535)) throw new Error(`${arg} needs three ports\n${USAGE}`);
      return list;
    };
    if (arg === '--temp') options.temp = true;
    else if (arg === '--client-ports') options.clientPorts = ports();
    else if (arg === '--peer-ports') options.peerPorts = ports();
    else if (arg === '--') options.extraFlags = argv.slice(index + 1), (index = argv.length);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return options;
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(error.message);
  process.exit(2);
}

// Complete lines only, so members' output does not interleave mid-line.
const partial = new Map();
const width = Math.max(...NAMES.map((name) => name.length));
function printLines(member, chunk) {
  const text = (partial.get(member.name) ?? '') + chunk;
  const lines = text.split('\n');
  partial.set(member.name, lines.pop());
  for (const line of lines) process.stdout.write(`${member.name.padEnd(width)} | ${line}\n`);
}

let cluster;
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping ${NAMES.join(', ')}`);
  await cluster?.stop({ graceful: true });
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('exit', killAllClustersNow);

try {
  cluster = await Cluster.start({
    kind: 'etcd-ts',
    size: 3,
    names: NAMES,
    clientPorts: options.clientPorts,
    peerPorts: options.peerPorts,
    token: 'etcd-cluster-1',
    extraFlags: options.extraFlags,
    ...(options.temp ? {} : { dataRoot: resolve('cluster.etcd') }),
    readyTimeoutMs: 60_000,
    onOutput: printLines,
  });
} catch (error) {
  console.error(`the cluster did not start: ${error.message}`);
  process.exit(1);
}
console.log(`\ncluster ready (data in ${cluster.dataRoot}); Ctrl-C stops it`);
for (const member of cluster.members) console.log(`  ${member.name.padEnd(width)}  client ${member.clientUrl}  peer ${member.listenPeerUrl}  pid ${member.pid}`);
console.log(`  etcdctl --endpoints=${cluster.endpoints.join(',')} endpoint status -w table`);
// A member that dies on its own is reported, not restarted.
for (const member of cluster.members) {
  const check = setInterval(() => {
    if (!stopping && member.state === 'stopped') {
      console.log(`${member.name} exited`);
      clearInterval(check);
    }
  }, 500);
  check.unref();
}
