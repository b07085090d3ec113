// Input schemas for the HTTP edge. Stricter than the stored model: documented length limits, no control
// characters, and only characters the bundled display fonts can draw (a missing glyph is an error, not tofu).
import { z } from 'zod';
import { Id, LIMITS } from '../controller/domain/model.js';
import { Slot } from '../controller/domain/hours.js';
import { invalid, type FieldIssue } from '../controller/errors.js';
import { hasControl } from '../renderer/escape.js';
import { describeCodePoints, missingGlyphs } from '../renderer/fonts/fonts.js';

// eslint-disable-next-line no-control-regex
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F\uFFFE\uFFFF]/;

export function userText(max: number, opts: { multiline?: boolean; min?: number } = {}) {
  return z
    .string()
    .min(opts.min ?? 0, opts.min ? 'must not be empty' : undefined)
    .max(max, `at most ${max} characters`)
    .superRefine((s, ctx) => {
      const bad = opts.multiline ? CONTROL_EXCEPT_NEWLINE.test(s.replace(/\r\n/g, '\n')) : hasControl(s) || /[\n\r\t]/.test(s);
      if (bad) {
        ctx.addIssue({ code: 'custom', message: opts.multiline ? 'contains control characters' : 'contains control characters or line breaks' });
        return;
      }
      const missing = missingGlyphs(s);
      if (missing.length) ctx.addIssue({ code: 'custom', message: `contains characters the displays cannot show: ${describeCodePoints(missing)}` });
    })
    .transform((s) => (opts.multiline ? s.replace(/\r\n?/g, '\n').trim() : s.trim()));
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
