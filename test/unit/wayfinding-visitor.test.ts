// Search, destinations, directions, plans and the wayfinding signs, on the demo building (three floors, a lift in the
// middle, stairs at both ends): what a visitor types → where they are sent now → the words and the drawing.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { demoData } from '../../controller/store/demo.js';
import { Data } from '../../controller/domain/model.js';
import { SearchIndex, entriesFrom, fold } from '../../controller/wayfinding/search.js';
import { Wayfinder } from '../../controller/wayfinding/wayfinder.js';
import { planSvg } from '../../controller/wayfinding/plan-svg.js';
import { composeDirectory, composeForDisplay } from '../../controller/signs/compose.js';
import { renderSign, PANELS } from '../../renderer/index.js';
import { unpackToGrey } from '../../renderer/frame.js';

// jsqr is CommonJS (module.exports is the decoder); its types describe an ES default export.
const jsQR = createRequire(import.meta.url)('jsqr') as typeof import('jsqr').default;

// Tuesday 24 Nov 2026, 09:00 in Berlin: the case-working rooms are open (Mon, Tue, Thu 8–12).
const TUESDAY_9 = Date.parse('2026-11-24T09:00:00+01:00');
const SUNDAY = Date.parse('2026-11-29T11:00:00+01:00');

function finder(data: Data, now = TUESDAY_9): Wayfinder {
  return new Wayfinder(() => data, () => now, 'Europe/Berlin');
}

describe('search', () => {
  const index = new SearchIndex(entriesFrom(demoData()));
  const top = (q: string) => index.search(q, 5).map((h) => `${h.kind}:${h.id}`);

  it('folds umlauts and ß both ways', () => {
    expect(fold('Aufenthaltstitel verlängern')).toBe(fold('aufenthaltstitel verlaengern'));
    expect(fold('Weiß')).toBe(fold('weiss'));
    expect(fold('Özdemir')).toBe(fold('Oezdemir'));
    expect(fold('Yılmaz')).toBe('yilmaz');
  });

  it('finds a service by its German name, with or without umlauts, and by its English name', () => {
    expect(top('Aufenthaltstitel verlängern')[0]).toBe('service:s-verlaengern');
    expect(top('Aufenthaltstitel verlaengern')[0]).toBe('service:s-verlaengern');
    expect(top('aufenthaltstitel')).toContain('service:s-verlaengern');
    expect(top('residence permit')[0]).toBe('service:s-verlaengern');
    expect(top('EU Blue Card')[0]).toBe('service:s-blaue-karte');
  });

  it('tolerates typos and finds synonyms', () => {
    expect(top('Aufenthaltstiel verlängern')[0]).toBe('service:s-verlaengern');
    expect(top('Einbürgerng')[0]).toBe('service:s-einbuergerung');
    expect(top('citizenship')[0]).toBe('service:s-einbuergerung');
    expect(top('Staatsangehoerigkeit')[0]).toBe('service:s-einbuergerung');
    expect(top('student visa')[0]).toBe('service:s-studium');
  });

  it('finds people by name (any spelling of umlauts) and rooms by number', () => {
    expect(top('Müller')[0]).toBe('person:p-mueller');
    expect(top('mueller')[0]).toBe('person:p-mueller');
    expect(top('Ozdemir')[0]).toBe('person:p-oezdemir');
    expect(top('Weiss')[0]).toBe('person:p-weiss');
    expect(top('2.14')[0]).toBe('room:r-2.14');
  });

  it('returns nothing for noise, and never fails on long or odd input', () => {
    expect(top('xqzvw')).toEqual([]);
    expect(top('   ')).toEqual([]);
    expect(top('ä'.repeat(1000))).toEqual([]);
    expect(() => top('<script>alert(1)</script> & " \' \u0000')).not.toThrow();
  });
});

describe('destinations follow the state of the day', () => {
  it('a service offered in several rooms leads to the nearest one open now', () => {
    const data = demoData();
    const hit = finder(data).search('Blaue Karte', { stepFree: false }).hits[0];
    // 2.14 and 2.15 both offer it; 2.14 is nearer the lift.
    expect(hit?.destination).toMatchObject({ number: '2.14', open: true, reach: 'ok' });
    expect(hit?.notes.map((n) => n.en)).toContain('Also in room 2.15.');
    // With 2.14 closed today (no hours), the open room wins even though it is farther.
    const r214 = data.rooms.find((r) => r.id === 'r-2.14');
    if (r214) r214.hours = [{ day: 'fr', from: '08:00', to: '12:00' }];
    expect(finder(data).search('Blaue Karte', { stepFree: false }).hits[0]?.destination).toMatchObject({ number: '2.15', open: true });
    // On a Sunday nothing is open: the nearest, said to be closed.
    const sunday = finder(data, SUNDAY).search('Blaue Karte', { stepFree: false }).hits[0];
    expect(sunday?.destination).toMatchObject({ open: false });
    expect(sunday?.notes.map((n) => n.de).join(' ')).toContain('kein Zimmer für diese Leistung geöffnet');
  });

  it('marking a person absent changes the target to the substitute room', () => {
    const data = demoData();
    const before = finder(data).search('Zimmermann', { stepFree: false }).hits[0];
    expect(before?.destination?.number).toBe('2.14');
    const p = data.people.find((x) => x.id === 'p-zimmermann');
    if (p) p.absence = { from: null, until: '2026-11-28T00:00:00+01:00', substituteRoomId: 'r-2.15' };
    const after = finder(data).search('Zimmermann', { stepFree: false }).hits[0];
    expect(after?.destination?.number).toBe('2.15');
    expect(after?.notes[0]?.de).toBe('Dr. Felix Zimmermann ist derzeit abwesend. Die Vertretung finden Sie in Zimmer 2.15.');
    expect(finder(data).route(undefined, after?.destination?.roomId as string, false)).toMatchObject({ ok: true, to: { number: '2.15' } });
  });

  it("a notice's redirect is followed (counter 3 is closed today: go to counter 2)", () => {
    const hit = finder(demoData()).search('Schalter 3', { stepFree: false }).hits[0];
    expect(hit).toMatchObject({ kind: 'room', id: 'r-0.05', destination: { number: '0.04' } });
    expect(hit?.notes[0]?.de).toContain('Sie werden zu Zimmer 0.04 geleitet');
  });

  it('refuses an empty or over-long query and an unknown start, naming the field', () => {
    const wf = finder(demoData());
    expect(() => wf.search('  ', { stepFree: false })).toThrow(expect.objectContaining({ field: 'q' }));
    expect(() => wf.search('a'.repeat(1000), { stepFree: false })).toThrow(expect.objectContaining({ field: 'q' }));
    expect(() => wf.search('Kasse', { from: 'nowhere', stepFree: false })).toThrow(expect.objectContaining({ field: 'from', message: 'unknown place "nowhere"' }));
  });
});

describe('directions', () => {
  it('from the kiosk to 2.16: lift to the 2nd floor, left, third door on the right (German and English)', () => {
    const plan = finder(demoData()).route(undefined, 'r-2.16', false);
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.directions.de).toEqual([
      'Sie sind hier: Infoterminal Foyer (Erdgeschoss).',
      'Gehen Sie 10 m geradeaus bis zum Aufzug.',
      'Nehmen Sie den Aufzug ins 2. Obergeschoss.',
      'Verlassen Sie den Aufzug und gehen Sie 5 m.',
      'Biegen Sie links ab und gehen Sie 22 m.',
      'Zimmer 2.16 ist die dritte Tür rechts.',
    ]);
    expect(plan.directions.en.at(2)).toBe('Take the lift to the 2nd floor.');
    expect(plan.directions.en.at(-1)).toBe('Room 2.16 is the third door on the right.');
    expect(plan.floors.map((f) => f.floorId)).toEqual(['f-0', 'f-2']);
  });

  it('starts at a door sign ("you are here"), turning as its reader faces the door', () => {
    const plan = finder(demoData()).route('d-1.05', 'r-1.07', false);
    expect(plan.ok && plan.directions.de).toEqual(['Sie sind hier: Zimmer 1.05 (1. Obergeschoss).', 'Gehen Sie nach rechts, 12 m.', 'Zimmer 1.07 ist die zweite Tür links.']);
  });

  it('with the lift out of order: the stairs normally; step-free says it cannot, and never offers the stairs', () => {
    const data = demoData();
    data.closures = ['lift-0', 'lift-1', 'lift-2'].map((id) => ({ id, reason: 'Wartung', createdBy: 'admin', createdAt: '2026-11-24T07:00:00+01:00' }));
    const wf = finder(data);
    const normal = wf.route(undefined, 'r-2.16', false);
    expect(normal.ok && normal.directions.de.some((s) => s.startsWith('Gehen Sie die Treppe hinauf ins 2. Obergeschoss'))).toBe(true);
    const stepFree = wf.route(undefined, 'r-2.16', true);
    expect(stepFree).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    if (!stepFree.ok) expect(stepFree.message.de).toContain('nicht stufenlos erreichbar');
    // Ground-floor rooms stay reachable step-free.
    expect(wf.route(undefined, 'r-0.06', true).ok).toBe(true);
    expect(wf.search('Blaue Karte', { stepFree: true }).hits[0]?.destination?.reach).toBe('unreachable-step-free');
  });

  it('with one lift stop closed (1st floor): the lift still takes visitors to the 2nd floor; only the 1st is cut off', () => {
    const data = demoData();
    data.closures = [{ id: 'lift-1', reason: 'Tür klemmt', createdBy: 'admin', createdAt: '2026-11-24T07:00:00+01:00' }];
    const wf = finder(data);
    const up = wf.route(undefined, 'r-2.16', true);
    expect(up.ok && up.nodes).toEqual(expect.arrayContaining(['lift-0', 'lift-1', 'lift-2']));
    expect(up.ok && up.directions.de.some((s) => s.includes('Aufzug') && s.includes('2. Obergeschoss'))).toBe(true);
    expect(wf.search('Blaue Karte', { stepFree: true }).hits[0]?.destination?.reach).toBe('ok');
    // The 1st floor: step-free it cannot be reached, and the search says so; on foot the stairs.
    expect(wf.route(undefined, 'r-1.07', true)).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
    expect(wf.search('Familiennachzug', { stepFree: true }).hits[0]?.destination).toMatchObject({ number: '1.07', reach: 'unreachable-step-free' });
    const walk = wf.route(undefined, 'r-1.07', false);
    expect(walk.ok && walk.directions.de.some((s) => s.startsWith('Gehen Sie die Treppe hinauf'))).toBe(true);
    // From the 1st floor nobody boards either: from room 1.05's door, the 2nd floor only by the stairs.
    expect(wf.route('d-1.05', 'r-2.16', true)).toMatchObject({ ok: false, reason: 'unreachable-step-free' });
  });
});

describe('plans', () => {
  it('draws the route, the destination and hostile labels as text only', () => {
    const data = demoData();
    const room = data.rooms.find((r) => r.id === 'r-2.16');
    if (room) room.number = '<script>x</script>&"';
    const svg = planSvg(data, 'f-2', { lang: 'en', route: { points: [[30, 5], [30, 10], [52, 10], [52, 11.5]], startsHere: false, endsHere: true }, highlightRoomId: 'r-2.16' });
    expect(svg).toContain('<polyline points="624,124 624,224 1064,224 1064,254"');
    expect(svg).toContain('fill="#ffd54f"');
    expect(svg).toContain('&lt;script&gt;x&lt;/script&gt;&amp;&quot;');
    expect(svg).not.toContain('<script');
    expect(svg).toContain('continue here');
  });
});

describe('wayfinding on e-paper', () => {
  it('the directory sign lists its floor with arrows as its reader faces it, and the other floors', () => {
    const c = composeDirectory(demoData(), 'sign-2', TUESDAY_9);
    const arrow = (n: string) => c.entries.find((e) => e.number === n)?.arrow;
    expect(arrow('2.01')).toBe('left');
    expect(arrow('2.16')).toBe('right');
    expect(c.entries.find((e) => e.number === '2.11')?.label).toBe('Einbürgerung beantragen');
    expect(c.otherFloors).toEqual([
      { arrow: 'down', floor: '1. Obergeschoss', label: 'Sachgebiet Aufenthalt, Humanitäre Aufenthalte' },
      { arrow: 'down', floor: 'Erdgeschoss', label: 'Service-Center' },
    ]);
  });

  it("a door sign's QR code decodes to the visitors' page starting at that door", async () => {
    const data = demoData();
    const display = data.displays.find((d) => d.id === 'ds-2-14');
    const content = composeForDisplay(data, display as NonNullable<typeof display>, TUESDAY_9);
    const { frame } = await renderSign(content, PANELS['epd-7in5-bw']);
    const grey = unpackToGrey(frame.planes[0] as Uint8Array, frame.width, frame.height);
    const rgba = new Uint8ClampedArray(frame.width * frame.height * 4);
    grey.forEach((v, i) => rgba.fill(v, i * 4, i * 4 + 3) && (rgba[i * 4 + 3] = 255));
    const code = jsQR(rgba, frame.width, frame.height);
    expect(code?.data).toBe('http://localhost:8080/find?from=d-2.14');
  });
});
