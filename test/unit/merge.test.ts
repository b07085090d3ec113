// The editors' field-level three-way merge (web-admin/public/merge.js, imported as the browser loads it).
import { describe, expect, it } from 'vitest';
import { changedFields, mergeFields, resolveMerge, roomFields, roomPatch } from '../../web-admin/public/merge.js';
import { smallBuilding } from '../fixtures/small-building.js';

const stored = () => ({ ...smallBuilding().rooms[0]!, hours: [{ day: 'mo' as const, from: '08:00', to: '12:00' }, { day: 'tu' as const, from: '08:00', to: '12:00' }] });

describe('three-way merge of a room', () => {
  it('A changed Monday, B renamed the room: both changes survive, nothing is asked', () => {
    const base = roomFields(stored());
    const theirs = roomFields({ ...stored(), hours: [{ day: 'mo', from: '07:00', to: '13:00' }, { day: 'tu', from: '08:00', to: '12:00' }] }); // A saved first
    const mine = { ...base, name: 'Familiennachzug und Visa' }; // B renamed
    const m = mergeFields(base, mine, theirs);
    expect(m.conflicts).toEqual([]);
    // The view shows every field that differs between mine and the stored version, and who changed it.
    expect(m.differing.map((d) => [d.field, d.mineChanged, d.theirsChanged])).toEqual([
      ['name', true, false],
      ['hours.mo', false, true],
    ]);
    expect(m.merged.name).toBe('Familiennachzug und Visa');
    expect(m.merged['hours.mo']).toEqual([{ from: '07:00', to: '13:00' }]);
    // B sends only what B changed, relative to the stored version.
    const changed = changedFields(theirs, m.merged);
    expect(changed).toEqual(['name']);
    expect(roomPatch(m.merged, changed)).toEqual({ name: 'Familiennachzug und Visa' });
  });

  it('both changed different days: the week sent keeps both', () => {
    const base = roomFields(stored());
    const theirs = { ...base, 'hours.mo': [{ from: '07:00', to: '13:00' }] };
    const mine = { ...base, 'hours.tu': [{ from: '09:00', to: '11:00' }, { from: '13:00', to: '15:00' }] };
    const m = mergeFields(base, mine, theirs);
    expect(m.conflicts).toEqual([]);
    expect(roomPatch(m.merged, changedFields(theirs, m.merged))).toEqual({
      hours: [
        { day: 'mo', from: '07:00', to: '13:00' },
        { day: 'tu', from: '09:00', to: '11:00' },
        { day: 'tu', from: '13:00', to: '15:00' },
      ],
    });
  });

  it('asks only where both changed the same field to different values, and takes the answer', () => {
    const base = roomFields(stored());
    const theirs = { ...base, name: 'Ihr Name', occupantIds: ['p-1', 'p-2'], notice: { text: 'Heute zu', redirectRoomId: 'r-b', from: null, until: '2026-11-24T18:00:00+01:00' } };
    const mine = { ...base, name: 'Mein Name', occupantIds: ['p-1', 'p-2'], serviceIds: ['s-1', 's-2'] };
    const m = mergeFields(base, mine, theirs);
    expect(m.conflicts).toEqual(['name']); // the same occupants on both sides is no question
    expect(m.differing.map((d) => d.field)).toEqual(['name', 'serviceIds', 'notice']);
    expect(() => resolveMerge(m, {}, mine)).toThrow(/name/);
    const mineWins = resolveMerge(m, { name: 'mine' }, mine);
    expect(mineWins).toMatchObject({ name: 'Mein Name', serviceIds: ['s-1', 's-2'], notice: theirs.notice, occupantIds: ['p-1', 'p-2'] });
    expect(roomPatch(mineWins, changedFields(theirs, mineWins))).toEqual({ name: 'Mein Name', serviceIds: ['s-1', 's-2'] });
    expect(resolveMerge(m, { name: 'theirs' }, mine).name).toBe('Ihr Name');
  });

  it('compares values, not key order or slot order', () => {
    const a = roomFields({ ...stored(), notice: { text: 'x', redirectRoomId: null, from: null, until: null } });
    const b = roomFields({ ...stored(), hours: [...stored().hours].reverse(), notice: { until: null, from: null, redirectRoomId: null, text: 'x' } as never });
    expect(changedFields(a, b)).toEqual([]);
  });
});
