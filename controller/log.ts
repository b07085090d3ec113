// pino logger: JSON lines by default (for log shippers), pretty when asked or when stdout is a terminal.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type LogFormat = 'json' | 'pretty' | 'auto';

export function createLogger(opts: { level: string; format: LogFormat; name?: string }): Logger {
  const usePretty = opts.format === 'pretty' || (opts.format === 'auto' && process.stdout.isTTY === true);
  const base = {
    name: opts.name ?? 'wegweiser',
    level: opts.level,
    // Secrets never reach the log, even if a caller passes a whole object.
    redact: { paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
  };
  if (usePretty) return pino(base, pretty({ colorize: process.stdout.isTTY === true, sync: true, ignore: 'pid,hostname' }));
  return pino(base);
}
