import { describe, expect, it } from 'vitest';
import { isOpen, overlaps, summarize, type Slot } from '../../controller/domain/hours.js';

const s = (day: Slot['day'], from: string, to: string): Slot => ({ day, from, to });

describe('weekly office hours', () => {
  it('summarises days with equal times together, runs as ranges, minutes only where needed', () => {
    expect(summarize([s('mo', '08:00', '12:00'), s('tu', '08:00', '12:00'), s('we', '08:00', '12:00'), s('th', '08:00', '12:00'), s('fr', '08:00', '12:00')])).toBe('Mo–Fr 8–12 Uhr');
    expect(summarize([s('tu', '13:00', '18:00'), s('mo', '08:00', '12:00'), s('tu', '08:00', '12:00'), s('th', '08:00', '12:00')])).toBe('Mo, Do 8–12 Uhr · Di 8–12, 13–18 Uhr');
    expect(summarize([s('fr', '07:30', '12:15')])).toBe('Fr 7:30–12:15 Uhr');
    expect(summarize([])).toBe('');
  });

  it('finds overlaps within a day only', () => {
    expect(overlaps([s('mo', '08:00', '12:00'), s('mo', '11:00', '13:00'), s('tu', '11:00', '13:00'), s('mo', '12:00', '14:00')])).toEqual([1, 3]); // 12–14 overlaps 11–13
  });

  it('knows whether a room is open at a moment, in the site\'s time zone', () => {
    const hours = [s('mo', '08:00', '12:00'), s('tu', '13:00', '18:00')];
    // Monday 23 Nov 2026, 09:30 in Berlin = 08:30 UTC
    expect(isOpen(hours, Date.parse('2026-11-23T08:30:00Z'), 'Europe/Berlin')).toBe(true);
    expect(isOpen(hours, Date.parse('2026-11-23T11:00:00Z'), 'Europe/Berlin')).toBe(false); // 12:00 local: closed
    expect(isOpen(hours, Date.parse('2026-11-24T12:00:00Z'), 'Europe/Berlin')).toBe(true); // Tue 13:00
    expect(isOpen(hours, Date.parse('2026-11-23T07:30:00Z'), 'Europe/Berlin')).toBe(true); // Mon 08:30 local
    expect(isOpen(hours, Date.parse('2026-11-23T06:59:00Z'), 'Europe/Berlin')).toBe(false); // Mon 07:59 local
  });
});
