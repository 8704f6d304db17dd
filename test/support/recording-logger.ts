// A logger that keeps what it is told, for tests that check log lines.

import type { LogFields, Logger } from '../../src/pkg/logger.js';

export interface LogLine {
  level: string;
  msg: string;
  fields: LogFields | undefined;
}

/** Every line goes into `lines` (also returned as `.lines`); children log into the same list. */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const logger: Logger & { lines: LogLine[] } = {
    lines,
    debug: (msg, fields) => void lines.push({ level: 'debug', msg, fields }),
    info: (msg, fields) => void lines.push({ level: 'info', msg, fields }),
    warn: (msg, fields) => void lines.push({ level: 'warn', msg, fields }),
    error: (msg, fields) => void lines.push({ level: 'error', msg, fields }),
    child: () => logger,
  };
  return logger;
}
