// Runs etcd 3.4.23's own end-to-end tests (built by ../shared/etcd-tools/build.sh)
// against this member, one `go test` run per test: a test of etcd's suite
// that times out can fail from a goroutine after it ended, which aborts the
// whole suite binary; run one at a time, every test gets its verdict.
//
//   node scripts/e2e.mjs [--server 'node dist/src/bin/etcd-ts.js'] [--timeout 3m] LIST|REGEX...
//   LIST: a file of test names (one per line, # comments), e.g. test/e2e/tls-subset.txt
//         or ../shared/etcd-tools/e2e-etcd-3.4.23-passing.txt
// Prints one line per test and "N passed, M failed"; exit 0 only when all pass.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const e2eScript = resolve(projectRoot, '..', 'shared', 'etcd-tools', 'e2e.sh');

const args = process.argv.slice(2);
let server = 'node dist/src/bin/etcd-ts.js';
let timeout = '3m';
const selections = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--server') server = args[++i];
  else if (args[i] === '--timeout') timeout = args[++i];
  else selections.push(args[i]);
}
if (selections.length === 0) {
  console.error('usage: node scripts/e2e.mjs [--server CMD] [--timeout 3m] LIST-FILE|TEST-NAME...');
  process.exit(2);
}
const tests = [];
for (const selection of selections) {
  const listPath = [selection, join(projectRoot, selection), join(dirname(e2eScript), selection)].find((path) => existsSync(path));
  if (listPath) {
    for (const line of readFileSync(listPath, 'utf8').split('\n')) {
      const name = line.replace(/#.*/, '').trim();
      if (name) tests.push(name);
    }
  } else tests.push(selection);
}

let passed = 0;
const failed = [];
for (const name of tests) {
  const started = Date.now();
  const run = spawnSync(e2eScript, [server, `^${name}$`, timeout], { cwd: projectRoot, encoding: 'utf8' });
  const output = `${run.stdout}${run.stderr}`;
  const ok = run.status === 0 && output.includes(`PASS: ${name} `);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const log = /log: (\S+)/.exec(output)?.[1] ?? '';
  if (ok) passed++;
  else failed.push(name);
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name} (${seconds}s)${ok ? '' : ` log: ${log}`}`);
}
console.log(`${passed} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
