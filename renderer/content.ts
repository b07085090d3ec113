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
  /** a URL for the QR code (the visitors' page, route starting at this door); absent: no QR code */
  qr?: string | null;
}

/** Which way to go from where the sign hangs, as its reader faces it. */
export type Arrow = 'ahead' | 'left' | 'right' | 'back' | 'up' | 'down' | 'here';

/** A directory sign (lift lobby, corridor junction): this floor's rooms with their services and arrows; other floors. */
export interface DirectorySignContent {
  kind: 'directory';
  floor: string;
  floorEn: string;
  entries: { arrow: Arrow; number: string; label: string; labelEn: string }[];
  otherFloors: { arrow: 'up' | 'down'; floor: string; label: string }[];
  notice: string | null;
}

export type SignContent = DoorSignContent | DirectorySignContent;

/** Every user-supplied string in a content object, for glyph checks. */
export function contentStrings(c: SignContent): string[] {
  if (c.kind === 'directory') {
    return [c.floor, c.floorEn, c.notice ?? '', ...c.entries.flatMap((e) => [e.number, e.label, e.labelEn]), ...c.otherFloors.flatMap((f) => [f.floor, f.label])];
  }
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
