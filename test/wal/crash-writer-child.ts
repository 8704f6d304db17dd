// Child process for the crash test: opens (or creates) the log in argv[2] and
// saves entries with several concurrent writers forever, printing
// "ack <index>" once a save has resolved. The parent kills it with SIGKILL.
import { WriteAheadLog } from '../../src/wal/index.js';
import { crashTestEntryBytes, makeEntry } from './wal-test-helpers.js';

const [dir, segmentSizeText, writerCountText] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-writer-child <dir> <segmentSizeBytes> <writerCount>');
const options = { segmentSizeBytes: Number(segmentSizeText ?? 16384) };

let wal: WriteAheadLog;
let nextIndex = 1;
if (await WriteAheadLog.exists(dir)) {
  const opened = await WriteAheadLog.open(dir, options);
  wal = opened.wal;
  nextIndex = (opened.entries[opened.entries.length - 1]?.index ?? 0) + 1;
  process.stdout.write(`ready ${nextIndex - 1} repaired ${opened.repairedTailBytes}\n`);
} else {
  wal = await WriteAheadLog.create(dir, new TextEncoder().encode('crash-test'), options);
  process.stdout.write('ready 0 repaired 0\n');
}

async function writeForever(): Promise<never> {
  for (;;) {
    const index = nextIndex++;
    await wal.save({ term: 1, vote: 1, commit: index }, [makeEntry(index, 1, crashTestEntryBytes(index))], true);
    process.stdout.write(`ack ${index}\n`);
  }
}

await Promise.all(Array.from({ length: Number(writerCountText ?? 8) }, writeForever));
