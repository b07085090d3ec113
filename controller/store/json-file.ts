// Reading the data directory's JSON files (wegweiser.json, secrets.json, users.json, delivery.json) so that a damaged
// one is reported by name and by *what* is wrong — never by what is in it. JSON.parse's own messages quote the input
// ('Unexpected token …, "…" is not valid JSON'), and a broken line of secrets.json holds a display's secret, so its
// messages are never passed on: only where the error is, or that the file ends early.
import type { z } from 'zod';

/** A data file that cannot be used: `problem` says what is wrong, without quoting the file. */
export class DataFileError extends Error {
  override name = 'DataFileError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Where JSON.parse says it failed, and whether that is simply the end of the text. */
function failure(text: string): { pos: number | null; atEnd: boolean } | null {
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const at = /at position (\d+)/.exec(message);
    const pos = at ? Number(at[1]) : null;
    return { pos, atEnd: /^(Unexpected end of JSON input|Unterminated string)/.test(message) || (pos !== null && pos >= text.trimEnd().length) };
  }
}

/**
 * Where `raw` stops being JSON. V8 names the position for most errors but not for an unexpected token (that message
 * quotes the text instead), so then the shortest prefix that fails for another reason than ending is searched for:
 * a prefix that contains the fault fails at it, a shorter one only ends early (log₂ n parses).
 */
function faultPosition(raw: string): { pos: number | null; truncated: boolean } {
  const whole = failure(raw);
  if (!whole) return { pos: null, truncated: false };
  if (whole.atEnd) return { pos: null, truncated: true };
  if (whole.pos !== null) return { pos: whole.pos, truncated: false };
  let lo = 0; // a prefix of this length only ends early (or parses)
  let hi = raw.length; // a prefix of this length has the fault
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    const f = failure(raw.slice(0, mid));
    if (f && !f.atEnd) hi = mid;
    else lo = mid;
  }
  return { pos: hi - 1, truncated: false };
}

/** What is wrong with `raw` (which JSON.parse refused): a line and column, or "truncated" — never the content. */
export function describeJsonError(raw: string): string {
  if (raw.trim() === '') return 'the file is empty';
  const { pos, truncated } = faultPosition(raw);
  if (truncated) return 'not valid JSON: it ends early (the file looks truncated)';
  if (pos === null) return 'not valid JSON';
  const before = raw.slice(0, pos);
  const line = before.split('\n').length;
  const column = pos - before.lastIndexOf('\n');
  return `not valid JSON at line ${line}, column ${column}`;
}

/** Parses a data file's text; throws DataFileError naming the file. */
export function parseJsonFile(file: string, raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new DataFileError(file, describeJsonError(raw));
  }
}

/** Path segments longer than this are not shown for files holding secrets: secrets and hashes are longer. */
const MAX_SHOWN_KEY = 24;

/**
 * Schema issues as "path: message", at most a few. For files holding secrets (`revealKeys: false`) no key that could
 * be a secret is shown — a corrupted file may have turned a value into a key: unknown keys are counted, not named,
 * and long keys in a path are elided. Zod's built-in messages never quote the input value.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], opts: { revealKeys: boolean; max?: number } = { revealKeys: true }): string {
  const max = opts.max ?? 3;
  const segment = (k: PropertyKey) => (typeof k === 'string' && !opts.revealKeys && k.length > MAX_SHOWN_KEY ? '(a long key)' : String(k));
  const parts = issues.slice(0, max).map((i) => {
    const where = i.path.length ? i.path.map(segment).join('.') : '(top level)';
    if (i.code === 'unrecognized_keys' && !opts.revealKeys) return `${where}: ${i.keys.length === 1 ? 'an unknown field' : `${i.keys.length} unknown fields`}`;
    return `${where}: ${i.message}`;
  });
  const more = issues.length > max ? ` (and ${issues.length - max} more)` : '';
  return `${parts.join('; ')}${more}`;
}
