// Structured JSON logs in the shape etcd (zap) writes them: one object per
// line on stderr with level, ts, caller, msg and then the fields. Operators'
// scripts and test frameworks match on `msg`, so callers keep etcd's texts.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'panic' | 'fatal';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, panic: 4, fatal: 5 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines carry `caller` (etcd names the Go file; we name the module). */
  child(caller: string): Logger;
}

/** An error as a log field: its stack where it has one (a bug to find), else its text. */
export function errorDetail(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

export function isLogLevel(level: string): level is LogLevel {
  return level in LEVEL_RANK;
}

/** etcd's timestamp format: local time with milliseconds and a numeric offset. */
export function formatTimestamp(date: Date): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const offsetMinutes = -date.getTimezoneOffset();
  const sign = offsetMinutes >= 0 ? '+' : '-';
  const absoluteOffset = Math.abs(offsetMinutes);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(absoluteOffset / 60))}${pad(absoluteOffset % 60)}`
  );
}

function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return value.message;
  if (value instanceof Uint8Array) return Buffer.from(value).toString();
  return value;
}

export function createLogger(options: {
  level: LogLevel;
  write?: (line: string) => void;
  now?: () => Date;
  caller?: string;
}): Logger {
  const minimumRank = LEVEL_RANK[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const now = options.now ?? (() => new Date());

  const make = (caller: string): Logger => {
    const log = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LEVEL_RANK[level] < minimumRank) return;
      const record: Record<string, unknown> = { level, ts: formatTimestamp(now()), caller, msg };
      if (fields) for (const [name, value] of Object.entries(fields)) record[name] = toJsonValue(value);
      write(JSON.stringify(record) + '\n');
    };
    return {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
      child: (childCaller) => make(childCaller),
    };
  };
  return make(options.caller ?? 'etcd-ts');
}

/** A logger that drops everything, for tests and embedded use. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
