// Errors the WAL reports to its caller. Corruption names the file and byte
// offset so an operator can inspect (or cut) the damaged segment by hand.

export class WalCorruptionError extends Error {
  readonly filePath: string;
  readonly offsetBytes: number;

  constructor(filePath: string, offsetBytes: number, reason: string) {
    super(`wal: corrupt record in ${filePath} at offset ${offsetBytes}: ${reason}`);
    this.name = 'WalCorruptionError';
    this.filePath = filePath;
    this.offsetBytes = offsetBytes;
  }
}

/** The log does not hold what the caller asked for (a missing snapshot, a released index). */
export class WalNotFoundError extends Error {
  constructor(message: string) {
    super(`wal: ${message}`);
    this.name = 'WalNotFoundError';
  }
}

/** The directory already holds a log, or the WAL is closed or failed. */
export class WalStateError extends Error {
  constructor(message: string) {
    super(`wal: ${message}`);
    this.name = 'WalStateError';
  }
}
