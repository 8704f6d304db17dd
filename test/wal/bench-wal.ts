// Micro benchmark of the WAL's save path: saves/s and fdatasyncs/s with 1 and
// 100 concurrent writers, each saving one 256-byte entry plus a hard state per
// call with mustSync. The baseline is a bare write+fdatasync loop on the same
// disk, the ceiling for one writer. Not a test.
//   node dist/test/wal/bench-wal.js [secondsPerCase=3] [dir=os.tmpdir()]
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WriteAheadLog } from '../../src/wal/index.js';
import { EntryType } from '../../src/raft/types.js';
import { entryData } from './wal-test-helpers.js';

const ENTRY_DATA_BYTES = 256;
// One payload for all entries: the benchmark measures the WAL, not data generation.
const ENTRY_DATA = entryData(1, 1, ENTRY_DATA_BYTES);
const secondsPerCase = Number(process.argv[2] ?? 3);
const parentDir = process.argv[3] ?? tmpdir();

async function bareSyncsPerSecond(dir: string): Promise<number> {
  const handle = await open(join(dir, 'baseline'), 'w');
  const record = Buffer.alloc(ENTRY_DATA_BYTES + 64, 7);
  let position = 0;
  let syncs = 0;
  const deadline = performance.now() + secondsPerCase * 1000;
  const start = performance.now();
  while (performance.now() < deadline) {
    await handle.write(record, 0, record.length, position);
    position += record.length;
    await handle.datasync();
    syncs += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  await handle.close();
  return syncs / seconds;
}

async function benchmarkWriters(dir: string, writerCount: number): Promise<{ savesPerSecond: number; syncsPerSecond: number; savesPerSync: number; p99LatencyMs: number }> {
  const wal = await WriteAheadLog.create(join(dir, `wal-${writerCount}`), new Uint8Array([1]));
  let nextIndex = 1;
  let saves = 0;
  const latenciesMs: number[] = [];
  const deadline = performance.now() + secondsPerCase * 1000;
  const syncsBefore = wal.syncCount;
  const start = performance.now();
  const writer = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const index = nextIndex++;
      const savedAt = performance.now();
      await wal.save({ term: 1, vote: 1, commit: index }, [{ index, term: 1, type: EntryType.Normal, data: ENTRY_DATA }], true);
      latenciesMs.push(performance.now() - savedAt);
      saves += 1;
    }
  };
  await Promise.all(Array.from({ length: writerCount }, writer));
  const seconds = (performance.now() - start) / 1000;
  const syncs = wal.syncCount - syncsBefore;
  await wal.close();
  latenciesMs.sort((a, b) => a - b);
  return {
    savesPerSecond: saves / seconds,
    syncsPerSecond: syncs / seconds,
    savesPerSync: saves / syncs,
    p99LatencyMs: latenciesMs[Math.floor(latenciesMs.length * 0.99)] ?? 0,
  };
}

const dir = await mkdtemp(join(parentDir, 'etcd-ts-wal-bench-'));
try {
  console.log(`dir ${dir}, ${secondsPerCase} s per case, ${ENTRY_DATA_BYTES}-byte entries, mustSync on every save`);
  console.log(`bare write+fdatasync loop: ${(await bareSyncsPerSecond(dir)).toFixed(0)} syncs/s`);
  for (const writerCount of [1, 100]) {
    const result = await benchmarkWriters(dir, writerCount);
    console.log(
      `${String(writerCount).padStart(3)} writer(s): ${result.savesPerSecond.toFixed(0)} saves/s, ${result.syncsPerSecond.toFixed(0)} syncs/s, ` +
        `${result.savesPerSync.toFixed(1)} saves per sync, p99 save latency ${result.p99LatencyMs.toFixed(2)} ms`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
