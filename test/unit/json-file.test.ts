// Describing a damaged data file: where it breaks, or that it ends early — never what is in it.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DataFileError, describeIssues, describeJsonError, parseJsonFile } from '../../controller/store/json-file.js';

const SECRET = 'c0ffee'.repeat(10) + 'abcd';
const file = JSON.stringify({ version: 1, controller: { mqttPassword: 'Q'.repeat(32) }, displays: { 'ds-1': 'a'.repeat(64), 'ds-2': SECRET } }, null, 2);

describe('damaged JSON files', () => {
  it('a file cut short is "truncated"; an empty one is "empty"', () => {
    expect(describeJsonError(file.slice(0, file.indexOf(SECRET) + 10))).toBe('not valid JSON: it ends early (the file looks truncated)');
    expect(describeJsonError(file.slice(0, file.indexOf('"ds-2"')))).toBe('not valid JSON: it ends early (the file looks truncated)');
    expect(describeJsonError(' \n')).toBe('the file is empty');
  });

  it('a fault inside is given by line and column, also where JSON.parse only quotes the text around it', () => {
    // A lost quote: V8 says 'Unexpected token …, ..."ds-2": c0ffeec0ff"... is not valid JSON' — no position.
    const lost = file.replace(`"ds-2": "${SECRET}"`, `"ds-2": ${SECRET}"`);
    expect(() => JSON.parse(lost)).toThrow(SECRET.slice(0, 8));
    const line = lost.slice(0, lost.indexOf(SECRET)).split('\n').length;
    const column = lost.indexOf(SECRET) - lost.lastIndexOf('\n', lost.indexOf(SECRET));
    // 'c' is the first character that cannot start a JSON value there.
    expect(describeJsonError(lost)).toBe(`not valid JSON at line ${line}, column ${column}`);
    expect(describeJsonError('{"a": 1,, }')).toBe('not valid JSON at line 1, column 9');
    expect(describeJsonError('{"a": 1} x')).toBe('not valid JSON at line 1, column 10');
  });

  it('parseJsonFile throws a DataFileError naming the file, never quoting it', () => {
    const lost = file.replace(`"ds-2": "${SECRET}"`, `"ds-2": ${SECRET}"`);
    try {
      parseJsonFile('/data/secrets.json', lost);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(DataFileError);
      expect((err as Error).message).toMatch(/^\/data\/secrets\.json: not valid JSON at line \d+, column \d+$/);
      expect((err as Error).message).not.toContain(SECRET.slice(0, 6));
    }
  });

  it('schema issues: for files with secrets, long keys and unknown keys stay unnamed', () => {
    const Secrets = z.strictObject({ version: z.literal(1), displays: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)) });
    const r = Secrets.safeParse({ version: 1, displays: { 'ds-1': 'xyz', [SECRET]: 5 }, [`x${SECRET}`]: 1 });
    expect(r.success).toBe(false);
    const safe = describeIssues(r.error?.issues ?? [], { revealKeys: false });
    expect(safe).toContain('displays.ds-1: ');
    expect(safe).toContain('displays.(a long key): ');
    expect(safe).toContain('(top level): an unknown field');
    expect(safe).not.toContain(SECRET.slice(0, 8));
    // Data without secrets names them.
    expect(describeIssues(r.error?.issues ?? [], { revealKeys: true })).toContain(SECRET);
  });
});
