// Local wall-clock hours in the site's time zone, without a date library: Intl tells the local hour of an instant.

function localHourMinute(ms: number, timeZone: string): { hour: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: 'numeric', minute: 'numeric', hourCycle: 'h23' }).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? NaN);
  return { hour: get('hour'), minute: get('minute') };
}

/** The next instant after `now` at which the local time in `timeZone` is hour:00 (whole-hour and half-hour zones). */
export function nextLocalHour(now: number, hour: number, timeZone: string): number {
  const step = 15 * 60 * 1000;
  let t = Math.floor(now / step) * step + step;
  for (let i = 0; i < 4 * 50; i++, t += step) {
    const l = localHourMinute(t, timeZone);
    if (l.hour === hour && l.minute === 0) return t;
  }
  throw new Error(`no ${hour}:00 in ${timeZone} within two days`);
}
