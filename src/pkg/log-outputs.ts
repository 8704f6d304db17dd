// Where log lines go (etcd's --log-outputs): stderr, stdout and files, several
// at once. Files are appended to with synchronous writes, as zap writes them,
// so a line is in the file before the member goes on (and before a crash).

import { openSync, writeSync } from 'node:fs';

export function logWriter(outputs: readonly string[]): (line: string) => void {
  const writers = outputs.map((output): ((line: string) => void) => {
    if (output === 'stderr') return (line) => process.stderr.write(line);
    if (output === 'stdout') return (line) => process.stdout.write(line);
    const descriptor = openSync(output, 'a', 0o600);
    return (line) => {
      try {
        writeSync(descriptor, line);
      } catch {
        // A full disk must not stop the member; stderr still has the line.
        process.stderr.write(line);
      }
    };
  });
  if (writers.length === 1) return writers[0]!;
  return (line) => {
    for (const write of writers) write(line);
  };
}
