// Field-level three-way merge for the editors (pure: no DOM, no fetch — the unit tests import it as it is).
//
// A record is seen as flat fields (name → JSON value). `base` is what the tab loaded, `mine` what the person has
// in the form, `theirs` what is stored now (the 409's `current`). One rule for every field: a field only I changed
// takes my value, a field only they changed keeps theirs, a field both changed to the same value is that value, and a
// field both changed to different values is a question for the person. Nothing else is ever overwritten.

/** JSON with object keys sorted: equal values give equal text whatever the key order. */
function canonical(v) {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

export function same(a, b) {
  return canonical(a) === canonical(b);
}

const keysOf = (...records) => [...new Set(records.flatMap((r) => Object.keys(r)))];

/** The fields in which `next` differs from `from`. */
export function changedFields(from, next) {
  return keysOf(from, next).filter((k) => !same(from[k], next[k]));
}

/**
 * The three-way merge. Returns every field in which mine and theirs differ (what the conflict view shows), each with
 * who changed it, the merged record (conflicting fields hold theirs until the person chooses) and the conflicting
 * fields (both changed, to different values).
 */
export function mergeFields(base, mine, theirs) {
  const merged = {};
  const differing = [];
  const conflicts = [];
  for (const field of keysOf(base, mine, theirs)) {
    const mineChanged = !same(base[field], mine[field]);
    const theirsChanged = !same(base[field], theirs[field]);
    const conflict = mineChanged && theirsChanged && !same(mine[field], theirs[field]);
    merged[field] = mineChanged && !theirsChanged ? mine[field] : theirs[field];
    if (conflict) conflicts.push(field);
    if (!same(mine[field], theirs[field])) differing.push({ field, base: base[field], mine: mine[field], theirs: theirs[field], mineChanged, theirsChanged, conflict });
  }
  return { merged, differing, conflicts };
}

/**
 * The merged record with the person's answers: `choices` maps each conflicting field to "mine" or "theirs".
 * Throws if a conflicting field has no answer (nothing is decided for the person).
 */
export function resolveMerge(merge, choices, mine) {
  const out = { ...merge.merged };
  for (const field of merge.conflicts) {
    const choice = choices[field];
    if (choice !== 'mine' && choice !== 'theirs') throw new Error(`no choice for "${field}"`);
    if (choice === 'mine') out[field] = mine[field];
  }
  return out;
}

// A room as flat fields: weekly hours per day (the editor edits days one by one, so two people changing different
// days do not collide), the notice as one field (its text, redirect and from/until belong together).

export const DAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa', 'su'];

const sortedSlots = (slots) => [...slots].sort((a, b) => a.from.localeCompare(b.from));

function noticeOf(n) {
  return n ? { text: n.text, redirectRoomId: n.redirectRoomId ?? null, from: n.from ?? null, until: n.until ?? null } : null;
}

/** The editable fields of a stored room. */
export function roomFields(room) {
  const f = {
    name: room.name,
    unitId: room.unitId ?? null,
    officeHours: room.officeHours,
    occupantIds: [...room.occupantIds],
    serviceIds: [...room.serviceIds],
    notice: noticeOf(room.notice),
  };
  for (const day of DAYS) f[`hours.${day}`] = sortedSlots((room.hours ?? []).filter((s) => s.day === day).map((s) => ({ from: s.from, to: s.to })));
  return f;
}

/** The weekly hours of flat fields, as the API stores them. */
export function hoursOf(fields) {
  return DAYS.flatMap((day) => (fields[`hours.${day}`] ?? []).map((s) => ({ day, from: s.from, to: s.to })));
}

/**
 * The PATCH body that sets exactly `changed` fields to their values in `fields` — nothing else. The API takes the
 * hours as one list, so a change on any day sends the week as `fields` has it.
 */
export function roomPatch(fields, changed) {
  const body = {};
  for (const field of changed) {
    if (field.startsWith('hours.')) body.hours = hoursOf(fields);
    else body[field] = fields[field];
  }
  return body;
}
