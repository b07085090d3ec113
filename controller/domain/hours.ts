// Weekly office hours as data: slots per weekday, summarised for signs ("Mo, Mi, Fr 8–12 Uhr · Di 8–12, 13–18 Uhr")
// and asked "open at this moment?" (wayfinding sends visitors to an open room).
import { z } from 'zod';

export const DAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'] as const;
export type Day = (typeof DAYS)[number];
const DAY_DE: Record<Day, string> = { mo: 'Mo', tu: 'Di', we: 'Mi', th: 'Do', fr: 'Fr', sa: 'Sa', su: 'So' };

const Time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time HH:MM');
export const Slot = z
  .strictObject({ day: z.enum(DAYS), from: Time, to: Time })
  // Compared only when both are well-formed times: a bad "from" is one complaint, not two.
  .refine((s) => !/^\d\d:\d\d$/.test(s.from) || !/^\d\d:\d\d$/.test(s.to) || s.to > s.from, { message: 'must end after it starts', path: ['to'] });
export type Slot = z.infer<typeof Slot>;

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
const clock = (t: string) => (t.endsWith(':00') ? String(Number(t.slice(0, 2))) : `${Number(t.slice(0, 2))}:${t.slice(3)}`);

/** Slots sorted by day and time, without overlaps merged away (the editor refuses overlaps). */
export function sortSlots(slots: readonly Slot[]): Slot[] {
  return [...slots].sort((a, b) => DAYS.indexOf(a.day) - DAYS.indexOf(b.day) || minutes(a.from) - minutes(b.from));
}

/** Overlapping slots on the same day, as field issues (index into the list). */
export function overlaps(slots: readonly Slot[]): number[] {
  const bad: number[] = [];
  slots.forEach((s, i) =>
    slots.forEach((t, j) => {
      if (i < j && s.day === t.day && minutes(s.from) < minutes(t.to) && minutes(t.from) < minutes(s.to)) bad.push(j);
    }),
  );
  return bad;
}

/** "Mo, Mi, Fr 8–12 Uhr · Di 8–12, 13–18 Uhr": days with equal times grouped; runs of 3+ days as "Mo–Fr". */
export function summarize(slots: readonly Slot[]): string {
  const byDay = new Map<Day, string>();
  for (const s of sortSlots(slots)) byDay.set(s.day, [byDay.get(s.day), `${clock(s.from)}–${clock(s.to)}`].filter(Boolean).join(', '));
  const groups = new Map<string, Day[]>();
  for (const d of DAYS) {
    const t = byDay.get(d);
    if (t) groups.set(t, [...(groups.get(t) ?? []), d]);
  }
  const dayList = (days: Day[]) => {
    const idx = days.map((d) => DAYS.indexOf(d));
    const contiguous = idx.every((v, i) => i === 0 || v === (idx[i - 1] ?? -2) + 1);
    if (days.length >= 3 && contiguous) return `${DAY_DE[days[0] as Day]}–${DAY_DE[days[days.length - 1] as Day]}`;
    return days.map((d) => DAY_DE[d]).join(', ');
  };
  return [...groups].map(([times, days]) => `${dayList(days)} ${times} Uhr`).join(' · ');
}

/** Whether the slots cover `ms` in the time zone `timeZone`. */
export function isOpen(slots: readonly Slot[], ms: number, timeZone: string): boolean {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const wd = (parts.find((p) => p.type === 'weekday')?.value ?? '').slice(0, 2).toLowerCase();
  const day = ({ mo: 'mo', tu: 'tu', we: 'we', th: 'th', fr: 'fr', sa: 'sa', su: 'su' } as Record<string, Day>)[wd];
  const now = Number(parts.find((p) => p.type === 'hour')?.value) * 60 + Number(parts.find((p) => p.type === 'minute')?.value);
  return slots.some((s) => s.day === day && minutes(s.from) <= now && now < minutes(s.to));
}
