import { api, ApiError, connectLive, csrf, describeScheduled, describeStatus, el, guardUnsaved, mountUserMenu, previewUrl, session, tr } from './common.js';
import { changedFields, DAYS as ALL_DAYS, hoursOf, mergeFields, resolveMerge, roomFields, roomPatch } from './merge.js';

const roomId = new URLSearchParams(location.search).get('id');
/** the days the form has an input for (Sunday hours are kept as stored, not edited here) */
const FORM_DAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa'];
const $ = (id) => document.getElementById(id);
/** the stored version this tab edits on top of (its version goes with the save) */
let room = null;
/** its fields as loaded: what "changed by me" is measured against */
let base = null;
/** the fields the form was last filled with (carries what the form does not show: Sunday hours, a notice's from/until) */
let shown = null;
/** the form's text as filled, so that even an unreadable entry counts as an unsaved edit */
let shownText = '';
let units = [];
let people = [];
let services = [];
let occupantIds = [];
let serviceIds = [];
let displayId = null;
let lastStatus = null;
let me = null;
let roomsById = new Map();
/** the preview shows unsaved changes (live status must not replace it until saved or discarded) */
let previewing = false;
let previewTimer = null;
let previewSeq = 0;

function message(kind, text, issues = []) {
  const box = $('message');
  box.replaceChildren();
  if (!text) return;
  box.append(el('div', { class: `message ${kind}` }, text, issues.length ? el('ul', {}, issues.map((i) => el('li', { text: `${i.field}: ${i.message}` }))) : null));
}

function chips(listId, ids, catalogue, label, onRemove) {
  const list = $(listId);
  list.replaceChildren(
    ...ids.map((id) => {
      const item = catalogue.find((x) => x.id === id);
      const name = item ? label(item) : id;
      return el('li', {}, name, el('button', { type: 'button', 'aria-label': `${name} entfernen · remove`, onclick: () => onRemove(id), text: '×' }));
    }),
  );
}

function options(select, items, label, placeholder) {
  select.replaceChildren(el('option', { value: '', text: placeholder }), ...items.map((x) => el('option', { value: x.id, text: label(x) })));
}

function renderLists() {
  chips('occupants', occupantIds, people, (p) => p.name, (id) => {
    occupantIds = occupantIds.filter((x) => x !== id);
    renderLists();
    schedulePreview();
  });
  chips('services', serviceIds, services, (s) => s.nameDe, (id) => {
    serviceIds = serviceIds.filter((x) => x !== id);
    renderLists();
    schedulePreview();
  });
  options($('add-person'), people.filter((p) => !occupantIds.includes(p.id)), (p) => p.name, '— Person wählen —');
  options($('add-service'), services.filter((s) => !serviceIds.includes(s.id)), (s) => `${s.nameDe} · ${s.nameEn}`, '— Leistung wählen —');
}

function renderStatus() {
  const s = lastStatus;
  const d = describeStatus(s);
  $('display-status').className = `status ${d.cls}`;
  $('display-status').textContent = displayId ? d.text : tr('Diesem Raum ist keine Anzeige zugeordnet', 'No display is assigned to this room');
  if (!previewing && s?.desiredHash && $('preview').dataset.hash !== s.desiredHash) {
    $('preview').dataset.hash = s.desiredHash;
    $('preview').src = previewUrl(displayId, s.desiredHash);
  }
  $('warnings').textContent = s?.warnings?.length ? `${tr('Passt nicht ganz', 'Does not fit')}: ${s.warnings.join(' · ')}` : '';
  $('scheduled').textContent = describeScheduled(s) ?? '';
}

const roomLabel = (x) => (x ? `${x.number} · ${x.name}` : '');

/** The room typed into the redirect field: its full label, or just its number (a unique name works too). */
function redirectTarget() {
  const typed = $('notice-redirect').value.trim().toLowerCase();
  if (!typed) return null;
  const candidates = [...roomsById.values()].filter((x) => x.id !== roomId);
  return (
    candidates.find((x) => roomLabel(x).toLowerCase() === typed || x.number.toLowerCase() === typed) ??
    (candidates.filter((x) => x.name.toLowerCase() === typed).length === 1 ? candidates.find((x) => x.name.toLowerCase() === typed) : undefined) ??
    undefined
  );
}

function mayEdit(r) {
  return me?.role === 'admin' || (me?.role === 'editor' && r.unitId !== null && me.unitIds.includes(r.unitId));
}

/** Makes `r` the stored version this tab edits, and shows it. */
function fill(r) {
  room = r;
  base = roomFields(r);
  const editable = mayEdit(r);
  for (const field of document.querySelectorAll('#form input, #form select, #form textarea, #form button')) field.disabled = !editable;
  $('unit').disabled = !editable || me?.role !== 'admin';
  if (!editable) message('ok', 'Nur lesen: Dieser Raum gehört nicht zu Ihren Organisationseinheiten · Read only: not one of your units.');
  displayId = r.displayIds[0] ?? null;
  $('title').textContent = `Raum ${r.number} · ${r.name}`;
  document.title = `Raum ${r.number} · Wegweiser`;
  show(base);
}

const EDITED = ['name', 'unit', 'officeHours', 'notice-text', 'notice-redirect', ...FORM_DAYS.map((d) => `h-${d}`)];
const formText = () => JSON.stringify([EDITED.map((id) => $(id).value), occupantIds, serviceIds]);

/** Fills the form with room fields (the stored version's, or a merge's). */
function show(fields) {
  shown = fields;
  $('name').value = fields.name;
  $('unit').value = fields.unitId ?? '';
  $('officeHours').value = fields.officeHours;
  fillHours(hoursOf(fields));
  occupantIds = [...fields.occupantIds];
  serviceIds = [...fields.serviceIds];
  $('notice-text').value = fields.notice?.text ?? '';
  $('notice-redirect').value = fields.notice?.redirectRoomId ? roomLabel(roomsById.get(fields.notice.redirectRoomId)) : '';
  renderLists();
  shownText = formText();
}

/** The form as room fields. What it does not show (Sunday, a notice's from/until) is carried from what it was filled with. */
function formFields() {
  const text = $('notice-text').value.trim();
  const keep = shown.notice && text === shown.notice.text ? shown.notice : null;
  const fields = {
    ...shown,
    name: $('name').value,
    unitId: $('unit').value || null,
    officeHours: $('officeHours').value,
    occupantIds: [...occupantIds],
    serviceIds: [...serviceIds],
    notice: text ? { text, redirectRoomId: redirectTarget()?.id ?? null, from: keep?.from ?? null, until: keep?.until ?? null } : null,
  };
  const slots = readHours().slots;
  for (const day of FORM_DAYS) fields[`hours.${day}`] = slots.filter((x) => x.day === day).map((x) => ({ from: x.from, to: x.to })).sort((a, b) => a.from.localeCompare(b.from));
  return fields;
}

/** Unsaved edits: a field differs from the stored version, or the form's text was touched (even unreadably). */
function hasEdits() {
  if (!room || !mayEdit(room)) return false;
  return formText() !== shownText || changedFields(base, formFields()).length > 0;
}
guardUnsaved(hasEdits);

const fmtWhen = (iso) => new Date(iso).toLocaleString('de-DE', { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });

async function loadMoves() {
  const moves = (await api('/api/moves')).filter((m) => m.toRoomId === roomId || m.fromRoomId === roomId);
  const name = (id) => people.find((p) => p.id === id)?.name ?? id;
  const num = (id) => (id ? (roomsById.get(id)?.number ?? id) : '—');
  $('moves').replaceChildren(
    ...moves.map((m) =>
      el(
        'li',
        { 'data-move': m.id },
        `Geplant · Planned: ${name(m.personId)} ${num(m.fromRoomId)} → ${num(m.toRoomId)} ab ${fmtWhen(m.effectiveAt)} `,
        room && mayEdit(room)
          ? el('button', { type: 'button', class: 'secondary', text: 'Absagen · Cancel', onclick: async () => {
              await api(`/api/moves/${encodeURIComponent(m.id)}`, { method: 'DELETE' }).catch((err) => message('error', err.message));
              await loadMoves();
            } })
          : null,
      ),
    ),
  );
  $('move-person').replaceChildren(...occupantIds.map((id) => el('option', { value: id, text: name(id) })));
  $('move-to').replaceChildren(...[...roomsById.values()].filter((x) => x.id !== roomId).map((x) => el('option', { value: x.id, text: `${x.number} · ${x.name}` })));
  if (!$('move-at').value) {
    const d = new Date(Date.now() + 24 * 3600_000);
    d.setHours(7, 0, 0, 0);
    $('move-at').value = new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  }
  $('move-box').hidden = !(room && mayEdit(room)) || occupantIds.length === 0;
}

$('move-plan').addEventListener('click', async () => {
  try {
    await api('/api/moves', {
      method: 'POST',
      body: { personId: $('move-person').value, fromRoomId: roomId, toRoomId: $('move-to').value, effectiveAt: new Date($('move-at').value).toISOString() },
    });
    message('ok', 'Umzug geplant – die Schilder wechseln zum Termin von selbst · Move planned; the signs change on the date by themselves.');
    await loadMoves();
  } catch (err) {
    message('error', `Nicht geplant · Not planned: ${err.message}`, err instanceof ApiError ? (err.body?.error?.issues ?? []) : []);
  }
});

async function load() {
  if (!roomId) {
    message('error', 'Kein Raum angegeben · no room given (?id=…)');
    return;
  }
  me = await session();
  mountUserMenu(me);
  const [r, unitList, ppl, svc, rooms] = await Promise.all([
    api(`/api/rooms/${encodeURIComponent(roomId)}`),
    api('/api/units'),
    api('/api/people'),
    api('/api/services'),
    api('/api/rooms'),
  ]);
  people = ppl;
  services = svc;
  units = unitList;
  roomsById = new Map(rooms.map((x) => [x.id, x]));
  options($('unit'), unitList, (u) => u.name, '— keine · none —');
  $('room-list').replaceChildren(...rooms.filter((x) => x.id !== roomId).map((x) => el('option', { value: roomLabel(x) })));
  fill(r);
  await loadMoves();
  if (displayId) {
    lastStatus = await api(`/api/displays/${encodeURIComponent(displayId)}`);
    renderStatus();
  }
}

$('add-person').addEventListener('change', (e) => {
  if (e.target.value) occupantIds.push(e.target.value);
  renderLists();
  schedulePreview();
  $('add-person').focus();
});
$('add-service').addEventListener('change', (e) => {
  if (e.target.value) serviceIds.push(e.target.value);
  renderLists();
  schedulePreview();
  $('add-service').focus();
});

const hhmm = (t) => {
  const m = /^(\d{1,2})(?::(\d{2}))?$/.exec(t.trim());
  if (!m || Number(m[1]) > 23 || Number(m[2] ?? 0) > 59) return null;
  return `${m[1].padStart(2, '0')}:${m[2] ?? '00'}`;
};
const short = (t) => (t.endsWith(':00') ? String(Number(t.slice(0, 2))) : `${Number(t.slice(0, 2))}:${t.slice(3)}`);

/** "8–12, 13:30–18" per day → slots; an unreadable entry is reported, not guessed. */
function readHours() {
  const slots = [];
  const errors = [];
  for (const day of FORM_DAYS) {
    const text = $(`h-${day}`).value.trim();
    if (!text) continue;
    for (const part of text.split(',')) {
      const [a, b] = part.split(/[–-]/);
      const from = a && hhmm(a);
      const to = b && hhmm(b);
      if (!from || !to) errors.push(`${day}: "${part.trim()}"`);
      else slots.push({ day, from, to });
    }
  }
  return { slots, errors };
}

function fillHours(slots) {
  for (const day of FORM_DAYS) $(`h-${day}`).value = slots.filter((x) => x.day === day).map((x) => `${short(x.from)}–${short(x.to)}`).join(', ');
}

/** The whole form as a room patch (for the preview, which shows the sign as the form has it). */
function formState() {
  const { name, unitId, officeHours, occupantIds: occ, serviceIds: svc, notice } = formFields();
  return { name, unitId, officeHours, hours: hoursOf(formFields()), occupantIds: occ, serviceIds: svc, notice };
}

const DAY_LABEL = { mo: 'Mo · Mon', tu: 'Di · Tue', we: 'Mi · Wed', th: 'Do · Thu', fr: 'Fr · Fri', sa: 'Sa · Sat', su: 'So · Sun' };
const FIELD_LABEL = {
  name: 'Bezeichnung · Name',
  unitId: 'Organisationseinheit · Unit',
  officeHours: 'Hinweis zu den Zeiten · Office-hours note',
  occupantIds: 'Besetzung · Occupants',
  serviceIds: 'Leistungen · Services',
  notice: 'Hinweis · Notice',
  ...Object.fromEntries(ALL_DAYS.map((d) => [`hours.${d}`, `Sprechzeiten ${DAY_LABEL[d]} · Office hours`])),
};

/** One field's value in words, for the conflict view. */
function describeField(field, v) {
  const names = (ids, xs, f) => ids.map((id) => f(xs.find((x) => x.id === id)) ?? id).join(', ') || '—';
  if (field.startsWith('hours.')) return v.length ? v.map((x) => `${short(x.from)}–${short(x.to)}`).join(', ') : tr('geschlossen', 'closed');
  switch (field) {
    case 'unitId':
      return units.find((u) => u.id === v)?.name ?? v ?? '—';
    case 'occupantIds':
      return names(v, people, (p) => p?.name);
    case 'serviceIds':
      return names(v, services, (x) => x?.nameDe);
    case 'notice':
      if (!v) return '—';
      return [
        v.text,
        v.redirectRoomId ? `→ ${tr('Umleitung zu Raum', 'redirect to room')} ${roomsById.get(v.redirectRoomId)?.number ?? v.redirectRoomId}` : null,
        v.from ? `${tr('ab', 'from')} ${fmtWhen(v.from)}` : null,
        v.until ? `${tr('bis', 'until')} ${fmtWhen(v.until)}` : null,
      ]
        .filter(Boolean)
        .join('\n');
    default:
      return v === '' || v === null || v === undefined ? '—' : String(v);
  }
}

/**
 * A colleague saved this room first. Shows every field in which my version and the stored one differ, says who
 * changed each, and offers to save my changes onto the stored version — asking only where we both changed a field.
 */
function showConflict(mine, current) {
  const theirs = roomFields(current);
  const merge = mergeFields(base, mine, theirs);
  const outcome = (d) =>
    d.conflict
      ? el(
          'fieldset',
          { class: 'choice' },
          el('legend', { text: tr('Beide geändert – bitte wählen', 'Both changed – please choose') }),
          ...[
            ['mine', tr('Meine', 'Mine')],
            ['theirs', tr('Gespeicherte', 'Saved')],
          ].map(([value, text]) => el('label', { class: 'inline' }, el('input', { type: 'radio', name: `choice-${d.field}`, value, 'aria-label': `${FIELD_LABEL[d.field] ?? d.field}: ${text}` }), ` ${text}`)),
        )
      : el('span', { text: d.mineChanged ? tr('Ihre Änderung wird übernommen', 'your change is kept') : tr('gespeicherte Änderung bleibt', 'the saved change stays') });
  const rows = merge.differing.map((d) =>
    el(
      'tr',
      { 'data-field': d.field, class: d.conflict ? 'both' : d.mineChanged ? 'mine' : 'theirs' },
      el('th', { scope: 'row', text: FIELD_LABEL[d.field] ?? d.field }),
      el('td', { class: d.mineChanged ? 'differs' : '', text: describeField(d.field, d.mine) }),
      el('td', { class: d.theirsChanged ? 'differs' : '', text: describeField(d.field, d.theirs) }),
      el('td', {}, outcome(d)),
    ),
  );
  const box = $('message');
  box.replaceChildren(
    el(
      'div',
      { class: 'message error', role: 'alert' },
      tr(
        'Jemand anderes hat diesen Raum inzwischen geändert – nichts wurde überschrieben. Diese Felder unterscheiden sich:',
        'Someone else changed this room meanwhile – nothing was overwritten. These fields differ:',
      ),
    ),
    el(
      'table',
      { class: 'conflict', id: 'conflict' },
      el(
        'thead',
        {},
        el('tr', {}, el('th', { scope: 'col', text: tr('Feld', 'Field') }), el('th', { scope: 'col', text: tr('Ihre Fassung', 'Your version') }), el('th', { scope: 'col', text: tr(`Gespeicherte Fassung (v${current.version})`, `Saved version (v${current.version})`) }), el('th', { scope: 'col', text: tr('Beim Zusammenführen', 'When merged') })),
      ),
      el('tbody', {}, rows),
    ),
    el(
      'p',
      { class: 'row' },
      el('button', { type: 'button', class: 'primary', id: 'merge-save', onclick: () => {
        const choices = {};
        for (const field of merge.conflicts) choices[field] = document.querySelector(`input[name="choice-${field}"]:checked`)?.value;
        const open = merge.conflicts.filter((f) => !choices[f]);
        if (open.length) {
          box.querySelector('.choice-missing')?.remove();
          box.append(el('p', { class: 'message error choice-missing', role: 'alert', text: `${tr('Bitte wählen', 'Please choose')}: ${open.map((f) => FIELD_LABEL[f] ?? f).join(', ')}` }));
          return;
        }
        // My changes (and my answers) on top of the stored version; the save then sends only what differs from it.
        const merged = resolveMerge(merge, choices, mine);
        fill(current);
        show(merged);
        void save();
      } }, tr('Meine Änderungen übernehmen und speichern', 'Apply my changes to the saved version and save')),
      el('button', { type: 'button', class: 'secondary', id: 'take-saved', onclick: () => {
        fill(current);
        message('ok', tr('Gespeicherte Fassung geladen – Ihre Änderungen wurden verworfen.', 'Saved version loaded – your changes were discarded.'));
      } }, tr('Gespeicherte Fassung übernehmen', 'Take the saved version')),
    ),
  );
}

/** Renders the unsaved form on the server (same checks as saving) and shows it, 300 ms after the last keystroke. */
function schedulePreview() {
  if (!room || !mayEdit(room)) return;
  clearTimeout(previewTimer);
  previewTimer = setTimeout(async () => {
    const seq = ++previewSeq;
    const res = await fetch(`/api/rooms/${encodeURIComponent(roomId)}/preview`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
      body: JSON.stringify(formState()),
    });
    if (seq !== previewSeq) return; // a newer keystroke won
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      $('preview-note').textContent = `Vorschau nicht möglich · No preview: ${body?.error?.message ?? res.status}`;
      return;
    }
    const old = $('preview').src;
    $('preview').src = URL.createObjectURL(await res.blob());
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    $('preview').dataset.hash = res.headers.get('X-Frame-Hash') ?? '';
    previewing = true;
    const warnings = JSON.parse(decodeURIComponent(res.headers.get('X-Layout-Warnings') ?? '%5B%5D'));
    $('preview-note').textContent = `Vorschau – noch nicht gespeichert · Preview, not saved yet${warnings.length ? ` · ${warnings.join(' · ')}` : ''}`;
  }, 300);
}

for (const id of ['name', 'officeHours', 'notice-text', 'notice-redirect', ...FORM_DAYS.map((d) => `h-${d}`)]) $(id).addEventListener('input', schedulePreview);

/** Saves the fields this person changed (relative to the stored version the tab edits on) — nothing else. */
async function save() {
  if ($('notice-redirect').value.trim() && !redirectTarget()) {
    message('error', `Raum „${$('notice-redirect').value.trim()}" nicht gefunden · Room not found – bitte aus der Liste wählen · pick one from the list`);
    $('notice-redirect').focus();
    return;
  }
  const bad = readHours().errors;
  if (bad.length) {
    message('error', `Sprechzeiten nicht lesbar · Office hours unreadable: ${bad.join(', ')} – bitte z. B. „8–12, 13:30–18" · e.g. "8–12, 13:30–18"`);
    return;
  }
  const mine = formFields();
  const changed = changedFields(base, mine);
  if (!changed.length) {
    show(base);
    message('ok', tr('Keine Änderungen zu speichern.', 'No changes to save.'));
    return;
  }
  $('save').disabled = true;
  try {
    fill(await api(`/api/rooms/${encodeURIComponent(roomId)}`, { method: 'PATCH', body: { version: room.version, ...roomPatch(mine, changed) } }));
    endPreview();
    message('ok', 'Gespeichert · Saved. Die Anzeige wird aktualisiert · updating the display …');
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && err.body?.current) showConflict(mine, err.body.current);
    else if (err instanceof ApiError) message('error', `Nicht gespeichert · Not saved: ${err.message}`, err.body?.error?.issues ?? []);
    else message('error', `Nicht gespeichert · Not saved: ${err.message}`);
  } finally {
    $('save').disabled = !mayEdit(room);
  }
}

/** The preview shows the stored frame again (after a save or a discard). */
function endPreview() {
  previewing = false;
  clearTimeout(previewTimer);
  previewSeq++;
  $('preview-note').textContent = '';
  $('preview').dataset.hash = ''; // show the stored frame from the server again
  renderStatus();
}

$('discard').addEventListener('click', () => {
  show(base);
  endPreview();
  message('ok', tr('Änderungen verworfen.', 'Changes discarded.'));
});

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  void save();
});

connectLive(
  (msg) => {
    if (msg.type === 'snapshot') lastStatus = msg.displays.find((s) => s.id === displayId) ?? lastStatus;
    if (msg.type === 'display.status' && msg.status.id === displayId) lastStatus = msg.status;
    if (displayId) renderStatus();
  },
  (up) => {
    $('live').textContent = up ? '● live' : '○ getrennt · disconnected';
  },
);
load().catch((err) => message('error', `Fehler beim Laden · Could not load: ${err.message}`));
