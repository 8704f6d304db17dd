// The audit log (`--audit-log-path`, beyond etcd): one JSON line per request.
//
// A line holds, in this order:
//   time           ISO 8601 in UTC with milliseconds ("2024-05-01T12:00:00.123Z")
//   member         the member's ID (hex, as etcd prints it)
//   user           the authenticated user, when there is one
//   certificateCN  the client certificate's CN, when there is one
//   remote         the client's address ("10.0.0.7:52144")
//   method         the gRPC method ("/etcdserverpb.KV/Put")
//   key | keyBase64            the key; as UTF-8 text when it is valid UTF-8
//   rangeEnd | rangeEndBase64  and printable, otherwise base64 in the *Base64
//                              field instead (so `rangeEnd` "\0", from-key, is
//                              written as rangeEndBase64 "AA==")
//   revision       the revision the request read or wrote at, when known
//   result         "ok", "denied" (PermissionDenied, Unauthenticated) or "error"
//   code           "OK" or the gRPC code name ("PermissionDenied")
//   error          the error text sent to the client, when it failed
//
// Values, leases' attached data and passwords are never written: the line is
// built field by field from the names above, so extra properties on what a
// caller passes are ignored.
//
// When entries had to be dropped (the disk was full, the file could not be
// opened, or writing fell more than `maxBufferedBytes` behind), the next line
// written says so: {"time", "member", "dropped": N, "reason": "write-failed" |
// "backlog"}. An auditor can thus see where the log has a gap.
//
// The log can never fail or slow down a request: `record` only formats and
// queues; writing happens asynchronously. A write or open error is reported
// once per failure episode in the member's own log, entries are dropped
// (and counted) while it lasts, and writing resumes after a successful
// `reopen` (SIGHUP), or on its own when a retry (at most every
// `retryIntervalMs`) succeeds.

import { open, type FileHandle } from 'node:fs/promises';
import { isUtf8 } from 'node:buffer';
import type { Logger } from '../pkg/logger.js';

export interface AuditEntry {
  /** The gRPC method, e.g. '/etcdserverpb.KV/Put'. */
  method: string;
  user?: string;
  certificateCN?: string;
  /** The client's address. */
  remote?: string;
  key?: Buffer;
  rangeEnd?: Buffer;
  revision?: number;
  /** 'OK' or the gRPC code name, e.g. 'PermissionDenied'. */
  code: string;
  error?: string;
}

export interface AuditLogOptions {
  path: string;
  memberId: string;
  logger: Logger;
  /** Wall clock for `time`; Date.now by default. */
  clock?: { nowMs(): number };
  /** Entries are dropped while more than this many bytes wait to be written. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** While failing, how often a write (or, with no open file, an open) is retried. Default 5000 ms; 0: only `reopen` resumes. */
  retryIntervalMs?: number;
}

export interface AuditLogStats {
  /** Lines written to the file (drop notices included). */
  written: number;
  /** Entries dropped since the log was opened. */
  dropped: number;
  /** A write or open is failing now. */
  failing: boolean;
}

const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;
const DEFAULT_RETRY_INTERVAL_MS = 5000;
/** Error texts are the server's, but are kept to a sane length. */
const MAX_ERROR_LENGTH = 4096;
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/u;

function resultOf(code: string): 'ok' | 'denied' | 'error' {
  if (code === 'OK') return 'ok';
  if (code === 'PermissionDenied' || code === 'Unauthenticated') return 'denied';
  return 'error';
}

function putBytes(line: Record<string, unknown>, name: string, bytes: Buffer | undefined): void {
  if (bytes === undefined) return;
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes as Uint8Array);
  if (isUtf8(buffer)) {
    const text = buffer.toString('utf8');
    if (!NOT_PRINTABLE.test(text)) {
      line[name] = text;
      return;
    }
  }
  line[`${name}Base64`] = buffer.toString('base64');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The JSON line for one entry (exported for tests and tools). */
export function formatAuditLine(entry: AuditEntry, memberId: string, nowMs: number): string {
  const line: Record<string, unknown> = { time: new Date(nowMs).toISOString(), member: memberId };
  if (typeof entry.user === 'string' && entry.user !== '') line.user = entry.user;
  if (typeof entry.certificateCN === 'string' && entry.certificateCN !== '') line.certificateCN = entry.certificateCN;
  if (typeof entry.remote === 'string' && entry.remote !== '') line.remote = entry.remote;
  line.method = String(entry.method);
  putBytes(line, 'key', entry.key);
  putBytes(line, 'rangeEnd', entry.rangeEnd);
  if (typeof entry.revision === 'number' && Number.isFinite(entry.revision)) line.revision = entry.revision;
  const code = String(entry.code);
  line.result = resultOf(code);
  line.code = code;
  if (typeof entry.error === 'string' && entry.error !== '') line.error = entry.error.slice(0, MAX_ERROR_LENGTH);
  return JSON.stringify(line) + '\n';
}

type WriteState = 'ok' | 'failing' | 'retrying';

export class AuditLog {
  readonly path: string;
  readonly memberId: string;
  private readonly logger: Logger;
  private readonly clock: { nowMs(): number };
  private readonly maxBufferedBytes: number;
  private readonly retryIntervalMs: number;

  private handle: FileHandle | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private inFlightBytes = 0;
  private pumping: Promise<void> | undefined;
  private pumpScheduled = false;
  /** reopen and close run one at a time; while one runs, nothing is written. */
  private operations: Promise<void> = Promise.resolve();
  private paused = false;
  private closed = false;

  /** failing: entries are dropped; retrying: one attempt is under way, entries queue. */
  private state: WriteState = 'ok';
  private nextRetryAtMs = 0;
  private droppedWhileFailing = 0;
  private droppedBacklog = 0;
  private droppedTotal = 0;
  private written = 0;

  private constructor(options: AuditLogOptions, handle: FileHandle) {
    this.path = options.path;
    this.memberId = options.memberId;
    this.logger = options.logger;
    this.clock = options.clock ?? { nowMs: () => Date.now() };
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.handle = handle;
  }

  /** Opens (creating with mode 0600, appending) the file; rejects when it cannot be opened, so a member with a bad path does not start. */
  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const handle = await open(options.path, 'a', 0o600);
    return new AuditLog(options, handle);
  }

  stats(): AuditLogStats {
    return { written: this.written, dropped: this.droppedTotal, failing: this.state !== 'ok' };
  }

  /** Queues one line. Never throws, never waits. */
  record(entry: AuditEntry): void {
    try {
      if (this.closed) return;
      const now = this.clock.nowMs();
      if (this.state === 'failing') {
        if (this.retryIntervalMs <= 0 || now < this.nextRetryAtMs) {
          this.drop('failing');
          return;
        }
        // Try again with this entry; the ones after it queue until the attempt is over.
        this.state = 'retrying';
        this.nextRetryAtMs = now + this.retryIntervalMs;
      }
      const line = formatAuditLine(entry, this.memberId, now);
      const size = Buffer.byteLength(line);
      if (this.pendingBytes + this.inFlightBytes + size > this.maxBufferedBytes) {
        this.drop('backlog');
        return;
      }
      this.pending.push(line);
      this.pendingBytes += size;
      this.schedulePump();
    } catch (error) {
      // A malformed entry must not fail the request either.
      this.logger.warn('audit log entry could not be formatted', { error: errorText(error) });
    }
  }

  /**
   * Closes the file and opens `path` again (log rotation: rename the file,
   * then reopen). Lines already being written go to the old file, later ones
   * to the new. A failure to open starts a failure episode. Never rejects.
   */
  reopen(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed) return;
      this.paused = true;
      try {
        await this.waitForWrite();
        const old = this.handle;
        this.handle = undefined;
        if (old) await old.close().catch(() => {});
        try {
          this.handle = await open(this.path, 'a', 0o600);
        } catch (error) {
          this.fail(error);
          return;
        }
        this.recovered();
      } finally {
        this.paused = false;
        this.schedulePump();
      }
    });
  }

  /** Writes what is queued and closes the file; later entries are ignored. Never rejects. */
  close(): Promise<void> {
    return this.serialize(async () => {
      if (this.closed) return;
      this.closed = true;
      await this.drain();
      const handle = this.handle;
      this.handle = undefined;
      if (handle) await handle.close().catch(() => {});
    });
  }

  /** Resolves once everything recorded so far is written (or dropped). */
  async flush(): Promise<void> {
    await this.operations;
    await this.drain();
  }

  // ---- internals ----------------------------------------------------------------

  private canWrite(): boolean {
    return !this.paused && this.state !== 'failing' && (this.handle !== undefined || this.state === 'retrying');
  }

  private serialize(operation: () => Promise<void>): Promise<void> {
    const next = this.operations.then(operation).catch((error: unknown) => {
      this.logger.warn('audit log operation failed', { path: this.path, error: errorText(error) });
    });
    this.operations = next;
    return next;
  }

  private drop(reason: 'failing' | 'backlog'): void {
    this.droppedTotal++;
    if (reason === 'backlog') this.droppedBacklog++;
    else this.droppedWhileFailing++;
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.pumping) return;
    this.pumpScheduled = true;
    // Records made in the same tick join one write.
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.startPump();
    });
  }

  private startPump(): void {
    if (this.pumping || this.pending.length === 0 || !this.canWrite()) return;
    this.pumping = this.pump()
      .catch((error: unknown) => this.fail(error))
      .finally(() => {
        this.pumping = undefined;
        this.schedulePump();
      });
  }

  private async waitForWrite(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.pumping) await this.pumping;
      else if (this.pending.length > 0 && this.canWrite()) this.startPump();
      else if (this.pumpScheduled) await new Promise<void>((resolve) => setImmediate(resolve));
      else return;
    }
  }

  private async pump(): Promise<void> {
    if (!this.handle) {
      // Retrying after the file could not be opened.
      try {
        this.handle = await open(this.path, 'a', 0o600);
      } catch (error) {
        this.fail(error);
        return;
      }
    }
    while (this.handle && this.canWrite() && this.pending.length > 0) {
      const lines = this.pending;
      this.pending = [];
      this.inFlightBytes = this.pendingBytes;
      this.pendingBytes = 0;
      const failed = this.droppedWhileFailing;
      const backlog = this.droppedBacklog;
      const notices = this.dropNotices(failed, backlog);
      try {
        await writeAll(this.handle, Buffer.from(notices.join('') + lines.join('')));
      } catch (error) {
        this.droppedTotal += lines.length;
        this.droppedWhileFailing += lines.length;
        this.fail(error);
        return;
      } finally {
        this.inFlightBytes = 0;
      }
      this.written += notices.length + lines.length;
      this.droppedWhileFailing -= failed;
      this.droppedBacklog -= backlog;
      if (backlog > 0) this.logger.warn('audit log could not keep up; entries were dropped', { path: this.path, dropped: backlog });
      if (this.state === 'retrying') this.recovered(failed);
    }
  }

  /** Lines telling the reader how many entries are missing here, and why. */
  private dropNotices(failed: number, backlog: number): string[] {
    const time = new Date(this.clock.nowMs()).toISOString();
    const notices: string[] = [];
    if (failed > 0) notices.push(JSON.stringify({ time, member: this.memberId, dropped: failed, reason: 'write-failed' }) + '\n');
    if (backlog > 0) notices.push(JSON.stringify({ time, member: this.memberId, dropped: backlog, reason: 'backlog' }) + '\n');
    return notices;
  }

  /** A write or open failed: one warning per episode; what is queued is dropped. */
  private fail(error: unknown): void {
    const episodeStarts = this.state === 'ok';
    this.state = 'failing';
    this.nextRetryAtMs = this.clock.nowMs() + this.retryIntervalMs;
    this.droppedTotal += this.pending.length;
    this.droppedWhileFailing += this.pending.length;
    this.pending = [];
    this.pendingBytes = 0;
    if (episodeStarts) {
      this.logger.warn('audit log write failed; requests are still served', { path: this.path, error: errorText(error) });
    }
  }

  private recovered(dropped = this.droppedWhileFailing): void {
    if (this.state === 'ok') return;
    this.state = 'ok';
    this.logger.info('audit log writing resumed', { path: this.path, dropped });
  }
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) throw new Error('audit log write made no progress');
    offset += bytesWritten;
  }
}
