// Runs every compiled test file under dist/test with Node's built-in test
// runner. Files run one at a time: integration tests start real server
// processes and the CI machine has two cores.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const filter = process.argv.slice(2);
let files = findTests('dist/test').sort();
if (filter.length > 0) files = files.filter((file) => filter.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error('no test files found under dist/test' + (filter.length ? ` matching ${filter.join(' ')}` : ''));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // --test-force-exit: a file whose tests are done exits even if a failed run left a
  // handle open (a chaos run that aborted once kept its file, and CI, waiting forever).
  ['--enable-source-maps', '--test', '--test-concurrency=1', '--test-force-exit', '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
