// The demo building: the immigration office (Ausländerbehörde) of a city hall, three floors, one display per door.
// Seeded on the first start with an empty data directory so a newcomer sees the whole system working at once.
import { SCHEMA_VERSION, type Data, type Room } from '../domain/model.js';
import type { Slot } from '../domain/hours.js';
import { demoGraph, demoPlans } from './demo-building.js';

const NOW = '2026-01-05T07:00:00.000Z';

const units = [
  { id: 'u-leitung', name: 'Leitung Ausländerbehörde', nameEn: 'Head of the Immigration Office' },
  { id: 'u-service', name: 'Service-Center', nameEn: 'Service Centre' },
  { id: 'u-aufenthalt', name: 'Sachgebiet Aufenthalt', nameEn: 'Residence' },
  { id: 'u-einbuergerung', name: 'Sachgebiet Einbürgerung', nameEn: 'Naturalisation' },
  { id: 'u-fachkraefte', name: 'Fachkräfte & Studium', nameEn: 'Skilled Workers & Students' },
  { id: 'u-asyl', name: 'Humanitäre Aufenthalte', nameEn: 'Humanitarian Residence' },
];

const services: [string, string, string, string[]][] = [
  ['s-termin', 'Terminvergabe und Information', 'Appointments and information', ['Termin', 'Auskunft', 'appointment', 'information desk']],
  ['s-verlaengern', 'Aufenthaltstitel verlängern', 'Extend residence permit', ['Aufenthaltserlaubnis verlängern', 'Verlängerung', 'residence permit extension', 'Visum verlängern']],
  ['s-niederlassung', 'Niederlassungserlaubnis', 'Settlement permit', ['unbefristeter Aufenthalt', 'permanent residence']],
  ['s-eu-daueraufenthalt', 'Erlaubnis zum Daueraufenthalt-EU', 'EU long-term residence permit', ['Daueraufenthalt EU', 'long-term resident']],
  ['s-blaue-karte', 'Blaue Karte EU', 'EU Blue Card', ['Blue Card', 'hochqualifizierte Fachkräfte']],
  ['s-studium', 'Aufenthalt zum Studium', 'Residence for studies', ['Studentenvisum', 'student visa', 'Studierende']],
  ['s-familie', 'Familiennachzug', 'Family reunification', ['Ehegattennachzug', 'Kindernachzug', 'family reunion']],
  ['s-einbuergerung', 'Einbürgerung beantragen', 'Apply for naturalisation', ['Staatsangehörigkeit', 'citizenship', 'Einbürgerungstest']],
  ['s-verpflichtung', 'Verpflichtungserklärung', 'Formal obligation (sponsorship)', ['Einladung', 'Besuchervisum', 'letter of invitation']],
  ['s-eat-abholung', 'Abholung elektronischer Aufenthaltstitel', 'Collect electronic residence permit', ['eAT abholen', 'Karte abholen', 'collect card']],
  ['s-fiktion', 'Fiktionsbescheinigung', 'Fictional certificate', ['Bescheinigung', 'provisional permit']],
  ['s-duldung', 'Duldung', 'Toleration (Duldung)', ['Aussetzung der Abschiebung', 'suspension of deportation']],
  ['s-reiseausweis', 'Reiseausweis für Ausländer', 'Travel document for foreigners', ['Passersatz', 'travel document']],
  ['s-arbeitserlaubnis', 'Beschäftigungserlaubnis', 'Work permit', ['Arbeitserlaubnis', 'work authorisation', 'Erwerbstätigkeit']],
  ['s-adresse', 'Adressänderung im Aufenthaltstitel', 'Change of address on residence permit', ['Umzug', 'Anschrift ändern', 'change of address']],
  ['s-kasse', 'Gebühren bezahlen', 'Pay fees', ['Kasse', 'Zahlstelle', 'payment', 'cashier']],
];

const people: [string, string, string | null, string][] = [
  ['p-mueller', 'Dr. Sabine Müller', 'Leiterin der Ausländerbehörde', 'u-leitung'],
  ['p-krause', 'Thomas Krause', 'Stellvertretender Leiter', 'u-leitung'],
  ['p-schaefer', 'Jana Schäfer', 'Sekretariat', 'u-leitung'],
  ['p-oezdemir', 'Ayşe Özdemir', 'Service-Center', 'u-service'],
  ['p-weiss', 'Jürgen Weiß', 'Service-Center', 'u-service'],
  ['p-nguyen', 'Minh Nguyen', 'Service-Center', 'u-service'],
  ['p-becker', 'Claudia Becker', 'Kasse', 'u-service'],
  ['p-hoffmann', 'Frank Hoffmann', 'Sachbearbeiter Aufenthalt', 'u-aufenthalt'],
  ['p-schulz', 'Katrin Schulz', 'Sachbearbeiterin Aufenthalt', 'u-aufenthalt'],
  ['p-koch', 'Andreas Koch', 'Sachbearbeiter Aufenthalt', 'u-aufenthalt'],
  ['p-richter', 'Nicole Richter', 'Sachbearbeiterin Aufenthalt', 'u-aufenthalt'],
  ['p-wolf', 'Stefan Wolf', 'Teamleiter Aufenthalt', 'u-aufenthalt'],
  ['p-gross', 'Birgit Groß', 'Sachbearbeiterin Familiennachzug', 'u-aufenthalt'],
  ['p-kowalski', 'Piotr Kowalski', 'Sachbearbeiter Aufenthalt', 'u-aufenthalt'],
  ['p-schroeder', 'Martina Schröder', 'Teamleiterin Einbürgerung', 'u-einbuergerung'],
  ['p-neumann', 'Lars Neumann', 'Sachbearbeiter Einbürgerung', 'u-einbuergerung'],
  ['p-yilmaz', 'Emre Yılmaz', 'Sachbearbeiter Einbürgerung', 'u-einbuergerung'],
  ['p-schwarz', 'Ute Schwarz', 'Sachbearbeiterin Einbürgerung', 'u-einbuergerung'],
  ['p-zimmermann', 'Dr. Felix Zimmermann', 'Teamleiter Fachkräfte', 'u-fachkraefte'],
  ['p-braun', 'Lena Braun', 'Sachbearbeiterin Blaue Karte', 'u-fachkraefte'],
  ['p-hartmann', 'Jonas Hartmann', 'Sachbearbeiter Studium', 'u-fachkraefte'],
  ['p-petrova', 'Olena Petrova', 'Sachbearbeiterin Fachkräfte', 'u-fachkraefte'],
  ['p-lange', 'Sven Lange', 'Teamleiter Humanitäre Aufenthalte', 'u-asyl'],
  ['p-haddad', 'Rania Haddad', 'Sachbearbeiterin Duldung', 'u-asyl'],
  ['p-werner', 'Heike Werner', 'Sachbearbeiterin Reiseausweise', 'u-asyl'],
  ['p-fischer', 'Michael Fischer', null, 'u-asyl'],
];

type RoomSeed = [id: string, floor: string, number: string, name: string, unit: string | null, occupants: string[], services: string[], hours: string];

/** The usual hours of the case-working rooms: Mon, Tue, Thu 8–12, Tue also 13–18, by appointment. */
const STD = 'nur mit Termin';
const STD_HOURS: Slot[] = [
  { day: 'mo', from: '08:00', to: '12:00' },
  { day: 'tu', from: '08:00', to: '12:00' },
  { day: 'tu', from: '13:00', to: '18:00' },
  { day: 'th', from: '08:00', to: '12:00' },
];

const rooms: RoomSeed[] = [
  // Erdgeschoss: Service-Center, Kasse, Abholung
  ['r-0.01', 'f-0', '0.01', 'Information', 'u-service', ['p-oezdemir'], ['s-termin'], 'Mo–Fr 7:30–15 Uhr · Di bis 18 Uhr'],
  ['r-0.02', 'f-0', '0.02', 'Wartebereich A', null, [], [], ''],
  ['r-0.03', 'f-0', '0.03', 'Schalter 1', 'u-service', ['p-weiss'], ['s-eat-abholung', 's-adresse'], 'Mo–Fr 8–12 Uhr · Di 13–18 Uhr'],
  ['r-0.04', 'f-0', '0.04', 'Schalter 2', 'u-service', ['p-nguyen'], ['s-eat-abholung', 's-fiktion'], 'Mo–Fr 8–12 Uhr · Di 13–18 Uhr'],
  ['r-0.05', 'f-0', '0.05', 'Schalter 3', 'u-service', [], ['s-eat-abholung', 's-termin'], 'Mo–Fr 8–12 Uhr'],
  ['r-0.06', 'f-0', '0.06', 'Kasse', 'u-service', ['p-becker'], ['s-kasse'], 'Mo–Fr 8–12:30 Uhr · Di 13–18 Uhr'],
  ['r-0.07', 'f-0', '0.07', 'Wartebereich B', null, [], [], ''],
  ['r-0.08', 'f-0', '0.08', 'Verpflichtungserklärungen', 'u-service', ['p-weiss'], ['s-verpflichtung'], STD],
  ['r-0.09', 'f-0', '0.09', 'Beratung', 'u-service', [], ['s-termin'], 'nach Vereinbarung'],
  // 1. Obergeschoss: Aufenthalt, Familie
  ['r-1.01', 'f-1', '1.01', 'Teamleitung Aufenthalt', 'u-aufenthalt', ['p-wolf'], ['s-verlaengern', 's-niederlassung'], STD],
  ['r-1.02', 'f-1', '1.02', 'Aufenthalt A–D', 'u-aufenthalt', ['p-hoffmann'], ['s-verlaengern', 's-fiktion'], STD],
  ['r-1.03', 'f-1', '1.03', 'Aufenthalt E–J', 'u-aufenthalt', ['p-schulz'], ['s-verlaengern', 's-fiktion'], STD],
  ['r-1.04', 'f-1', '1.04', 'Aufenthalt K–N', 'u-aufenthalt', ['p-koch'], ['s-verlaengern', 's-arbeitserlaubnis'], STD],
  ['r-1.05', 'f-1', '1.05', 'Aufenthalt O–S', 'u-aufenthalt', ['p-richter'], ['s-verlaengern', 's-niederlassung'], STD],
  ['r-1.06', 'f-1', '1.06', 'Aufenthalt T–Z', 'u-aufenthalt', ['p-kowalski'], ['s-verlaengern', 's-eu-daueraufenthalt'], STD],
  ['r-1.07', 'f-1', '1.07', 'Familiennachzug', 'u-aufenthalt', ['p-gross'], ['s-familie'], STD],
  ['r-1.08', 'f-1', '1.08', 'Besprechung', null, [], [], ''],
  ['r-1.09', 'f-1', '1.09', 'Daueraufenthalt', 'u-aufenthalt', ['p-hoffmann', 'p-richter'], ['s-niederlassung', 's-eu-daueraufenthalt'], STD],
  ['r-1.10', 'f-1', '1.10', 'Humanitäre Aufenthalte', 'u-asyl', ['p-lange'], ['s-duldung', 's-reiseausweis'], STD],
  ['r-1.11', 'f-1', '1.11', 'Duldung', 'u-asyl', ['p-haddad', 'p-fischer'], ['s-duldung', 's-arbeitserlaubnis'], STD],
  ['r-1.12', 'f-1', '1.12', 'Reiseausweise', 'u-asyl', ['p-werner'], ['s-reiseausweis'], STD],
  // 2. Obergeschoss: Leitung, Einbürgerung, Fachkräfte
  ['r-2.01', 'f-2', '2.01', 'Leitung', 'u-leitung', ['p-mueller'], [], 'nach Vereinbarung'],
  ['r-2.02', 'f-2', '2.02', 'Sekretariat', 'u-leitung', ['p-schaefer'], [], 'Mo–Fr 8–15 Uhr'],
  ['r-2.03', 'f-2', '2.03', 'Stellvertretung', 'u-leitung', ['p-krause'], [], 'nach Vereinbarung'],
  ['r-2.10', 'f-2', '2.10', 'Teamleitung Einbürgerung', 'u-einbuergerung', ['p-schroeder'], ['s-einbuergerung'], STD],
  ['r-2.11', 'f-2', '2.11', 'Einbürgerung A–K', 'u-einbuergerung', ['p-neumann'], ['s-einbuergerung'], STD],
  ['r-2.12', 'f-2', '2.12', 'Einbürgerung L–Z', 'u-einbuergerung', ['p-yilmaz', 'p-schwarz'], ['s-einbuergerung'], STD],
  ['r-2.14', 'f-2', '2.14', 'Fachkräfteeinwanderung', 'u-fachkraefte', ['p-zimmermann'], ['s-blaue-karte', 's-arbeitserlaubnis'], STD],
  ['r-2.15', 'f-2', '2.15', 'Blaue Karte EU', 'u-fachkraefte', ['p-braun', 'p-petrova'], ['s-blaue-karte', 's-verlaengern'], STD],
  ['r-2.16', 'f-2', '2.16', 'Studium und Ausbildung', 'u-fachkraefte', ['p-hartmann'], ['s-studium', 's-verlaengern'], STD],
];

export function demoData(): Data {
  const roomRecords: Room[] = rooms.map(([id, floorId, number, name, unitId, occupantIds, serviceIds, officeHours]) => ({
    id,
    floorId,
    number,
    name,
    unitId,
    occupantIds,
    serviceIds,
    officeHours,
    hours: officeHours === STD ? STD_HOURS : [],
    notice: null,
    version: 1,
    updatedAt: NOW,
  }));
  // One realistic notice out of the box: counter 3 is unstaffed today.
  const counter3 = roomRecords.find((r) => r.id === 'r-0.05');
  if (counter3) counter3.notice = { text: 'Schalter 3 ist heute geschlossen.', redirectRoomId: 'r-0.04', from: null, until: null };
  return {
    schemaVersion: SCHEMA_VERSION,
    buildings: [{ id: 'b-techrathaus', name: 'Technisches Rathaus', address: 'Prager Straße 118, 04317 Leipzig' }],
    floors: [
      { id: 'f-0', buildingId: 'b-techrathaus', level: 0, name: 'Erdgeschoss', nameEn: 'Ground floor' },
      { id: 'f-1', buildingId: 'b-techrathaus', level: 1, name: '1. Obergeschoss', nameEn: '1st floor' },
      { id: 'f-2', buildingId: 'b-techrathaus', level: 2, name: '2. Obergeschoss', nameEn: '2nd floor' },
    ],
    units,
    people: people.map(([id, name, title, unitId]) => ({ id, name, title, unitId, absence: null, version: 1 })),
    services: services.map(([id, nameDe, nameEn, synonyms]) => ({ id, nameDe, nameEn, synonyms, version: 1 })),
    bulkNotices: [],
    moves: [],
    rooms: roomRecords,
    // The 2nd floor's displays run on batteries: they sleep and check in every minute (the rest are mains-powered).
    displays: [
      ...roomRecords.map((r) => ({
        id: `ds-${r.number.replace('.', '-')}`,
        // Counter 3's sign is a black/white/red panel: its notice shows in red.
        panel: r.id === 'r-0.05' ? ('epd-7in5-bwr' as const) : ('epd-7in5-bw' as const),
        roomId: r.id,
        checkInSeconds: r.floorId === 'f-2' ? 60 : null,
        nodeId: null,
      })),
      // A directory sign in every lift lobby: this floor's services and where they are.
      ...[0, 1, 2].map((level) => ({ id: `dir-${level}`, panel: 'epd-7in5-bw' as const, roomId: null, checkInSeconds: null, nodeId: `sign-${level}` })),
    ],
    plans: demoPlans(),
    graph: demoGraph(),
    closures: [],
  };
}
