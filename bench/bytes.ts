// Scenario "bytes": bytes on air per edit for a realistic edit mix on the demo building, three ways, same frames:
//   raw   — the packed 1-bit frame as is (48,000 B at 800×480);
//   OEPL  — the OpenEPaperLink way: the whole frame, zlib level 9 with a 4 KB window, every time;
//   ours  — protocol v1 on the wire (header, chunk overhead and HMAC included): XOR delta against the frame the
//           display confirmed, or the full frame if smaller; nothing at all when the frame did not change.
import { deflateSync } from 'node:zlib';
import { composeDoorSign } from '../controller/signs/compose.js';
import { demoData } from '../controller/store/demo.js';
import type { Data, Room } from '../controller/domain/model.js';
import { encodeTransfer } from '../controller/protocol/frame-v1.js';
import { renderSign, PANELS, type Frame } from '../renderer/index.js';
import { percentile } from './stats.js';

type Edit = { kind: string; apply: (r: Room, d: Data) => void };

const EDITS: Edit[] = [
  { kind: 'occupant changed', apply: (r, d) => (r.occupantIds = [d.people[(d.rooms.indexOf(r) * 7 + 3) % d.people.length]?.id ?? 'p-mueller']) },
  { kind: 'notice added', apply: (r, d) => (r.notice = { text: 'Heute wegen Krankheit geschlossen.', redirectRoomId: d.rooms[(d.rooms.indexOf(r) + 1) % d.rooms.length]?.id ?? null, from: null, until: null }) },
  { kind: 'notice removed', apply: (r) => (r.notice = null) },
  // New weekly hours (the demo keeps hours as slots, and a note such as "nur mit Termin").
  {
    kind: 'office hours changed',
    apply: (r) => {
      r.hours = [
        { day: 'mo', from: '09:00', to: '12:00' },
        { day: 'we', from: '09:00', to: '12:00' },
        { day: 'fr', from: '09:00', to: '12:00' },
        { day: 'th', from: '14:00', to: '18:00' },
      ];
      r.officeHours = 'nur mit Termin';
    },
  },
  // One time in the line changes (closing an hour earlier), e.g. "8–12 Uhr" → "8–11 Uhr"; the rest stays.
  {
    kind: 'time string changed',
    apply: (r) => {
      const last = r.hours.at(-1);
      if (last) r.hours = [...r.hours.slice(0, -1), { ...last, to: `${String(Number(last.to.slice(0, 2)) - 1).padStart(2, '0')}${last.to.slice(2)}` }];
      else r.officeHours = r.officeHours.replace(/(\d+)(?= Uhr)/, (h) => String(h === '10' ? 11 : Number(h) - 1));
    },
  },
  { kind: 'unchanged (saved as is)', apply: () => undefined },
];

export interface BytesRow {
  kind: string;
  raw: number[];
  oepl: number[];
  ours: number[];
}

export async function benchBytes(): Promise<BytesRow[]> {
  const panel = PANELS['epd-7in5-bw'];
  const data = demoData();
  const secret = Buffer.alloc(32, 1);
  const rows = new Map<string, BytesRow>(EDITS.map((e) => [e.kind, { kind: e.kind, raw: [], oepl: [], ours: [] }]));
  const render = async (roomId: string): Promise<Frame> => (await renderSign(composeDoorSign(data, roomId), panel)).frame;
  let seq = 1;
  for (const room of data.rooms) {
    let shown = await render(room.id);
    for (const edit of EDITS) {
      edit.apply(room, data);
      const next = await render(room.id);
      const row = rows.get(edit.kind) as BytesRow;
      // An edit that leaves this room's sign as it was (no office hours to change) says nothing about its kind.
      if (next.hash === shown.hash && !edit.kind.startsWith('unchanged')) continue;
      const raw = Buffer.concat(next.planes.map((p) => Buffer.from(p)));
      row.raw.push(raw.length);
      row.oepl.push(deflateSync(raw, { level: 9, windowBits: 12 }).length);
      row.ours.push(
        next.hash === shown.hash ? 0 : encodeTransfer({ displayId: 'ds-bench', seq: seq++, frame: next, base: shown, secret, mtu: 4096 }).wireBytes,
      );
      shown = next;
    }
  }
  return [...rows.values()];
}

export function printBytes(rows: BytesRow[]): string[] {
  const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  const p95 = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 95);
  const fmt = (n: number) => n.toLocaleString('en-US');
  const lines = [
    '## bytes: bytes on air per edit (30 demo rooms × 6 edits, 800×480; edits that left a sign unchanged are counted only in their own row)',
    '',
    '| edit | raw median | OEPL median / p95 | ours median / p95 | ours ÷ OEPL |',
    '|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ratio = med(r.oepl) ? (med(r.ours) / med(r.oepl)).toFixed(3) : '–';
    lines.push(`| ${r.kind} | ${fmt(med(r.raw))} | ${fmt(med(r.oepl))} / ${fmt(p95(r.oepl))} | ${fmt(med(r.ours))} / ${fmt(p95(r.ours))} | ${ratio} |`);
  }
  const changed = rows.filter((r) => !r.kind.startsWith('unchanged'));
  const allOurs = changed.flatMap((r) => r.ours);
  const allOepl = changed.flatMap((r) => r.oepl);
  const all = rows.flatMap((r) => r.ours);
  const allO = rows.flatMap((r) => r.oepl);
  const time = rows.find((r) => r.kind === 'time string changed');
  const same = rows.find((r) => r.kind.startsWith('unchanged'));
  lines.push(
    '',
    `All edits: ours median ${fmt(med(all))} B vs OEPL ${fmt(med(allO))} B — ${(med(all) / med(allO)).toFixed(3)} of the OEPL way (target ≤ 0.25).`,
    `Changed signs only: ours median ${fmt(med(allOurs))} B, p95 ${fmt(p95(allOurs))} B vs OEPL median ${fmt(med(allOepl))} B — ${(med(allOurs) / med(allOepl)).toFixed(3)}.`,
    time ? `One-line change (time string): ours median ${fmt(med(time.ours))} B, max ${fmt(Math.max(...time.ours))} B = ${((100 * med(time.ours)) / med(time.raw)).toFixed(2)} % of the raw frame (target ≤ 1 %, 480 B).` : '',
    same ? `Unchanged content: ours ${fmt(Math.max(...same.ours))} B (target 0 B); OEPL would send ${fmt(med(same.oepl))} B.` : '',
  );
  return lines;
}
