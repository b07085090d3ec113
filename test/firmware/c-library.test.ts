// The C device library (firmware/): built with the project's warnings as errors, its tests run under AddressSanitizer
// and UBSan against every file in docs/vectors, and its chunk decoder fuzzed with libFuzzer for a bounded time (60 s
// in CI; WEGWEISER_FUZZ_SECONDS overrides, 10 s by default elsewhere). In CI a missing compiler or library fails here;
// elsewhere the file is skipped with a note.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIRMWARE_DIR, make, needsCToolchain } from '../helpers/firmware.js';

const BUILD = 'build/vitest';
const VECTOR_FILES = readdirSync(path.join(FIRMWARE_DIR, '../docs/vectors')).filter((f) => f.endsWith('.json'));
const FUZZ_SECONDS = Number(process.env.WEGWEISER_FUZZ_SECONDS ?? (process.env.CI ? 60 : 10));

interface Tap {
  ok: string[];
  notOk: string[];
  plan: number | null;
  vectorFiles: number | null;
  diagnostics: string[];
}

function parseTap(out: string): Tap {
  const tap: Tap = { ok: [], notOk: [], plan: null, vectorFiles: null, diagnostics: [] };
  for (const line of out.split('\n')) {
    let m: RegExpExecArray | null;
    if ((m = /^ok \d+ - (.*)$/.exec(line))) tap.ok.push(m[1] as string);
    else if ((m = /^not ok \d+ - (.*)$/.exec(line))) tap.notOk.push(m[1] as string);
    else if ((m = /^1\.\.(\d+)$/.exec(line))) tap.plan = Number(m[1]);
    else if ((m = /^# vector files checked: (\d+)$/.exec(line))) tap.vectorFiles = Number(m[1]);
    else if (line.startsWith('#   ')) tap.diagnostics.push(line);
  }
  return tap;
}

describe.runIf(needsCToolchain('the C device library tests'))('the C device library (firmware/)', () => {
  it('builds warning-free (C99, -Wall -Wextra -Werror -pedantic): library, Linux display, tests', async () => {
    const r = await make([`BUILD=${BUILD}`, `${BUILD}/libwegweiser.a`, `${BUILD}/wegweiser-display`, `${BUILD}/wgw-test`], 240_000);
    expect(r.status, r.output.slice(-4000)).toBe(0);
  }, 300_000);

  it('passes its unit tests and every vector file under AddressSanitizer and UBSan', async () => {
    const r = await make([`BUILD=${BUILD}`, 'test'], 240_000);
    const tap = parseTap(r.output);
    expect(tap.notOk, [...tap.diagnostics, r.output.slice(-3000)].join('\n')).toEqual([]);
    expect(r.status, r.output.slice(-3000)).toBe(0);
    expect(tap.plan).toBe(tap.ok.length);
    // every file of docs/vectors was read, and each of its cases is a test of its own
    expect(tap.vectorFiles).toBe(VECTOR_FILES.length);
    for (const f of VECTOR_FILES) expect(tap.ok.some((name) => name.startsWith(`vector ${f}: `)), f).toBe(true);
    expect(tap.ok.filter((n) => n.startsWith('vector ')).length).toBeGreaterThan(100);
    expect(tap.ok).toContain('power loss between persisting seq and showing: no replay, not stuck');
    expect(tap.ok).toContain('a lost ack after a delta is answered again, nothing applied');
  }, 300_000);

  it(`survives ${FUZZ_SECONDS} s of libFuzzer on the chunk decoder, seeded from docs/vectors, without a finding`, async () => {
    const r = await make([`BUILD=${BUILD}`, 'fuzz', `FUZZ_SECONDS=${FUZZ_SECONDS}`], (FUZZ_SECONDS + 240) * 1000);
    const seeds = Number(/^seeds: (\d+)$/m.exec(r.output)?.[1] ?? 0);
    const done = /^Done (\d+) runs in (\d+) second/m.exec(r.output);
    const finding = /==\d+==ERROR|SUMMARY: (Address|Undefined)|deadly signal|Test unit written to/.exec(r.output);
    expect(finding?.[0] ?? null, r.output.slice(-6000)).toBeNull();
    expect(r.status, r.output.slice(-4000)).toBe(0);
    expect(seeds).toBeGreaterThan(50);
    expect(done, r.output.slice(-2000)).not.toBeNull();
    expect(Number(done?.[2])).toBeGreaterThanOrEqual(FUZZ_SECONDS);
    expect(Number(done?.[1])).toBeGreaterThan(1000);
  }, (FUZZ_SECONDS + 300) * 1000);
});
