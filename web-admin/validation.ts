// Input schemas for the HTTP edge. Stricter than the stored model: documented length limits, no control
// characters, and only characters the bundled display fonts can draw (a missing glyph is an error, not tofu).
import { z } from 'zod';
import { Id, LIMITS } from '../controller/domain/model.js';
import { Slot } from '../controller/domain/hours.js';
import { FloorPlan, PlanArea, PLAN_MAX_METRES } from '../controller/domain/building.js';
import { WalkGraph, WalkNode } from '../controller/wayfinding/graph.js';
import { invalid, type FieldIssue } from '../controller/errors.js';
import { describeCodePoints, missingGlyphs } from '../renderer/fonts/fonts.js';

// What no text a person sets may contain: control characters (C0 — line breaks only where the text is multi-line —,
// DEL, C1), the noncharacters U+FFFE/U+FFFF, Unicode line and paragraph separators (line breaks in disguise), and
// the invisible bidirectional overrides and isolates (they make "1.07" read as something else).
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFFFE\uFFFF]/gu;

function forbiddenIn(s: string, multiline: boolean): string[] {
  const found = new Set<string>();
  for (const m of s.matchAll(FORBIDDEN)) if (!(multiline && m[0] === '\n')) found.add(m[0]);
  return [...found];
}

/**
 * The one rule for text a person sets (names, notices, labels, reasons …), applied at the edge: line breaks
 * normalised (multi-line text) and surrounding whitespace trimmed *first*, so "   " is empty and `min` ("must not be
 * empty") applies to what is stored; then the length limit; then no control characters and only characters the
 * bundled display fonts can draw (a missing glyph is an error, not tofu). Every failure names its field (400).
 */
export function userText(max: number, opts: { multiline?: boolean; min?: number } = {}) {
  const multiline = opts.multiline ?? false;
  return z
    .string()
    .overwrite((s) => (multiline ? s.replace(/\r\n?/g, '\n') : s).trim())
    .min(opts.min ?? 0, opts.min ? 'must not be empty' : undefined)
    .max(max, `at most ${max} characters`)
    .superRefine((s, ctx) => {
      const bad = forbiddenIn(s, multiline);
      if (bad.length) {
        ctx.addIssue({ code: 'custom', message: `${multiline ? 'contains control characters' : 'contains control characters or line breaks'} (${describeCodePoints(bad)})` });
        return;
      }
      const missing = missingGlyphs(s);
      if (missing.length) ctx.addIssue({ code: 'custom', message: `contains characters the displays cannot show: ${describeCodePoints(missing)}` });
    });
}

const idList = (what: string) =>
  z
    .array(Id)
    .max(LIMITS.listItems, `at most ${LIMITS.listItems} ${what}`)
    .refine((xs) => new Set(xs).size === xs.length, `lists a ${what.replace(/s$/, '')} twice`);

export const RoomPatchBody = z.strictObject({
  version: z.number().int().nonnegative().optional().describe('the version you edited; a stale one gives 409'),
  name: userText(LIMITS.name).optional(),
  unitId: Id.nullable().optional(),
  occupantIds: idList('people').optional(),
  serviceIds: idList('services').optional(),
  officeHours: userText(LIMITS.officeHours).optional(),
  hours: z.array(Slot).max(42, 'at most 42 slots').optional(),
  notice: z
    .strictObject({
      text: userText(LIMITS.notice, { multiline: true, min: 1 }),
      redirectRoomId: Id.nullable().default(null),
      from: z.iso.datetime({ offset: true, message: 'an ISO date-time with offset, e.g. 2026-11-24T08:00:00+01:00' }).nullable().default(null),
      until: z.iso.datetime({ offset: true, message: 'an ISO date-time with offset, e.g. 2026-11-24T18:00:00+01:00' }).nullable().default(null),
    })
    .refine((n) => n.from === null || n.until === null || Date.parse(n.until) > Date.parse(n.from), { message: 'must be after "from"', path: ['until'] })
    .nullable()
    .optional(),
});

export type RoomPatchBody = z.infer<typeof RoomPatchBody>;

/** The walk graph as staff send it: the stored schema, with the text rule on every label. */
export const WalkGraphBody = WalkGraph.extend({ nodes: z.array(WalkNode.extend({ label: userText(80).default('') })) });

const metres = (what: string) => z.number().positive().max(PLAN_MAX_METRES, `at most ${PLAN_MAX_METRES} m ${what}: larger than any building this draws`);

/** A floor plan as staff send it: bounded extents, every point within them, and the text rule on area labels. */
export const FloorPlanBody = FloorPlan.extend({
  width: metres('wide'),
  height: metres('deep'),
  areas: z.array(PlanArea.extend({ label: userText(40).default('') })).max(2000),
}).superRefine((p, ctx) => {
  const check = (pt: readonly [number, number], path: (string | number)[]) => {
    if (pt[0] > p.width || pt[1] > p.height) ctx.addIssue({ code: 'custom', path, message: `lies outside the plan (${p.width} × ${p.height} m)` });
  };
  p.outline.forEach((pt, i) => check(pt, ['outline', i]));
  p.areas.forEach((a, j) => a.points.forEach((pt, i) => check(pt, ['areas', j, 'points', i])));
});

/** Parses or throws a 400 AppError naming every field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid([{ field: '(body)', message: 'expected a JSON object (Content-Type: application/json)' }]);
  }
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issues: FieldIssue[] = r.error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const prefix = i.path.length ? `${i.path.join('.')}.` : '';
      return { field: i.keys.map((k) => prefix + k).join(', '), message: 'unknown field' };
    }
    return { field: i.path.join('.') || '(body)', message: i.message };
  });
  throw invalid(issues);
}
