// SignContent: everything a sign shows, already resolved from the stored state (names, not ids). Layouts are pure
// functions of SignContent and a panel profile, so the same content always gives the same frame.

export interface DoorSignContent {
  kind: 'door';
  roomNumber: string;
  roomName: string;
  unit: string | null;
  occupants: { name: string; title: string | null; away?: { until: string; substitute: { number: string; name: string } | null } | null }[];
  services: { de: string; en: string }[];
  officeHours: string;
  notice: { text: string; redirect: { number: string; name: string } | null } | null;
}

export type SignContent = DoorSignContent;

/** Every user-supplied string in a content object, for glyph checks. */
export function contentStrings(c: SignContent): string[] {
  const out = [c.roomNumber, c.roomName, c.officeHours];
  if (c.unit) out.push(c.unit);
  for (const o of c.occupants) {
    out.push(o.name, o.title ?? '');
    if (o.away) out.push(o.away.until, o.away.substitute?.number ?? '', o.away.substitute?.name ?? '');
  }
  for (const s of c.services) out.push(s.de, s.en);
  if (c.notice) {
    out.push(c.notice.text);
    if (c.notice.redirect) out.push(c.notice.redirect.number, c.notice.redirect.name);
  }
  return out;
}
