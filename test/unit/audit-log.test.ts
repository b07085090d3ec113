// The audit log: a torn last line (a crash in the middle of an append) never swallows the next entry; a change is
// recorded before it is written and hidden when its write fails; a crash between the two is settled by the file hash.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, AUDIT_FILE } from '../../controller/audit/audit-log.js';
import { sha256 } from '../../controller/store/durable.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDirsPerTest } from '../helpers/env.js';

const dir = tempDirsPerTest();

const entry = (id: string) => ({ user: 'anna', action: 'update', entity: 'room', id, before: { name: 'a' }, after: { name: 'b' } });

describe('audit log', () => {
  it('a torn last line does not swallow the next entry', async () => {
    const d = await dir();
    const log = new AuditLog(d, new FakeClock());
    await log.record(entry('r-1'));
    // A crash in the middle of an append: half a line, no newline.
    await appendFile(path.join(d, AUDIT_FILE), '{"at":"2026-11-23T07:00:00.000Z","user":"ben","act');
    const fresh = new AuditLog(d, new FakeClock()); // as after a restart
    await fresh.record(entry('r-2'));
    await fresh.record(entry('r-3'));
    expect((await fresh.query()).map((e) => e.id)).toEqual(['r-3', 'r-2', 'r-1']);
    const lines = (await readFile(path.join(d, AUDIT_FILE), 'utf8')).split('\n');
    expect(lines[1]).toBe('{"at":"2026-11-23T07:00:00.000Z","user":"ben","act'); // the torn line stays, alone
  });

  it('records a change before writing it, and hides it when the write fails', async () => {
    const d = await dir();
    const log = new AuditLog(d, new FakeClock());
    const order: string[] = [];
    await log.recordChange('anna', [entry('r-1')], { file: 'x.json', prev: 'p0', next: 'p1' }, async () => {
      // The entry is on disk before the change is written.
      order.push((await readFile(path.join(d, AUDIT_FILE), 'utf8')).includes('"r-1"') ? 'entry first' : 'entry missing');
    });
    await expect(
      log.recordChange('anna', [entry('r-2')], { file: 'x.json', prev: 'p1', next: 'p2' }, async () => {
        throw new Error('ENOSPC');
      }),
    ).rejects.toThrow('ENOSPC');
    expect(order).toEqual(['entry first']);
    expect((await log.query()).map((e) => e.id)).toEqual(['r-1']);
  });

  it('settles a change whose write never happened (a crash between entry and write) by the file hash', async () => {
    const d = await dir();
    const log = new AuditLog(d, new FakeClock());
    const v0 = sha256('v0');
    const v1 = sha256('v1');
    const v2 = sha256('v2');
    await log.recordChange('anna', [entry('r-1')], { file: 'data.json', prev: v0, next: v1 }, async () => undefined);
    // The process dies after appending the entry of the next change, before writing the file (still v1).
    await log.recordChange('anna', [entry('r-2')], { file: 'data.json', prev: v1, next: v2 }, async () => {
      throw new Error('killed');
    }).catch(() => undefined);
    // (the failed write above appended its own abort; now the crash case proper, with no abort record:)
    const raw = await readFile(path.join(d, AUDIT_FILE), 'utf8');
    const withoutAbort = raw.split('\n').filter((l) => !l.includes('"aborted"')).join('\n');
    await writeFile(path.join(d, AUDIT_FILE), withoutAbort);
    expect((await new AuditLog(d, new FakeClock()).query()).map((e) => e.id)).toEqual(['r-2', 'r-1']);

    const restarted = new AuditLog(d, new FakeClock());
    expect(await restarted.reconcile('other.json', v1)).toBe(false); // another file: not its business
    expect(await restarted.reconcile('data.json', v1)).toBe(true); // the file still has the hash from before r-2
    expect((await restarted.query()).map((e) => e.id)).toEqual(['r-1']);
    expect(await restarted.reconcile('data.json', v1)).toBe(false); // settled once

    // A change that did reach the file is kept.
    await restarted.recordChange('anna', [entry('r-3')], { file: 'data.json', prev: v1, next: v2 }, async () => undefined);
    expect(await restarted.reconcile('data.json', v2)).toBe(false);
    expect((await restarted.query()).map((e) => e.id)).toEqual(['r-3', 'r-1']);
  });
});
