// Kill -9 at random moments while a child process saves entries; every save
// the child acknowledged must be in the log, intact, after the last restart.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { WriteAheadLog } from '../../src/wal/index.js';
import { crashTestEntryBytes, entryData, makeTempDir, seededRandom } from './wal-test-helpers.js';

const CHILD_PATH = fileURLToPath(new URL('./crash-writer-child.js', import.meta.url));
const ROUNDS = 8;
const ACKS_PER_ROUND_MAX = 400;
const ROUND_TIMEOUT_MS = 15_000;

interface ChildRun {
  child: ChildProcess;
  acknowledged: number[];
  repairedBytes: number;
}

/** Starts the writer and resolves once it has acknowledged `ackTarget` saves (0: once it is ready). */
function runUntilAcks(t: TestContext, dir: string, ackTarget: number): Promise<ChildRun> {
  const child = spawn(process.execPath, ['--enable-source-maps', CHILD_PATH, dir, '1048576', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const run: ChildRun = { child, acknowledged: [], repairedBytes: 0 };
  return new Promise((resolve, reject) => {
    let stdoutText = '';
    let stderrText = '';
    let ready = false;
    const timer = setTimeout(() => reject(new Error(`child made no progress in ${ROUND_TIMEOUT_MS} ms; stderr: ${stderrText}`)), ROUND_TIMEOUT_MS);
    const settle = (): void => {
      if (ready && run.acknowledged.length >= ackTarget) {
        clearTimeout(timer);
        resolve(run);
      }
    };
    child.stderr!.on('data', (chunk: Buffer) => (stderrText += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdoutText += chunk.toString();
      const lines = stdoutText.split('\n');
      stdoutText = lines.pop()!;
      for (const line of lines) {
        const [word, value, , repaired] = line.split(' ');
        if (word === 'ack') run.acknowledged.push(Number(value));
        if (word === 'ready') {
          ready = true;
          run.repairedBytes = Number(repaired);
        }
      }
      settle();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited on its own (code ${code}, signal ${signal}); stderr: ${stderrText}`));
    });
  });
}

test('every acknowledged save survives SIGKILL at random moments', async (t) => {
  const seed = Number(process.env['WAL_CRASH_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
  t.diagnostic(`seed ${seed} (rerun with WAL_CRASH_SEED=${seed})`);
  const random = seededRandom(seed);
  const dir = await makeTempDir(t);
  const acknowledged: number[] = [];
  let repairedBytes = 0;

  for (let round = 0; round < ROUNDS; round += 1) {
    const ackTarget = Math.floor(random() * ACKS_PER_ROUND_MAX);
    const run = await runUntilAcks(t, dir, ackTarget);
    const exited = once(run.child, 'exit');
    run.child.kill('SIGKILL');
    await exited;
    // Acks that reached us after the target are acknowledged too.
    acknowledged.push(...run.acknowledged);
    repairedBytes += run.repairedBytes;
  }

  const opened = await WriteAheadLog.open(dir);
  try {
    const { entries, hardState } = opened;
    entries.forEach((entry, position) => {
      assert.equal(entry.index, position + 1);
      assert.deepEqual(entry.data, entryData(entry.index, 1, crashTestEntryBytes(entry.index)), `entry ${entry.index} is intact`);
    });
    const highestAcknowledged = Math.max(0, ...acknowledged);
    assert.ok(entries.length >= highestAcknowledged, `acknowledged ${highestAcknowledged} but only ${entries.length} entries survived`);
    assert.ok(hardState.commit >= highestAcknowledged);
    t.diagnostic(`${acknowledged.length} acknowledged saves over ${ROUNDS} kills, ${entries.length} entries, ${opened.wal.segmentFileNames.length} segments, ${repairedBytes} torn bytes repaired`);
  } finally {
    await opened.wal.close();
  }
});
