import { api, ApiError, connectLive, csrf, describeScheduled, describeStatus, el, mountUserMenu, previewUrl, session, tr } from './common.js';

const roomId = new URLSearchParams(location.search).get('id');
const $ = (id) => document.getElementById(id);
let room = null;
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

function fill(r) {
  room = r;
  const editable = mayEdit(r);
  for (const field of document.querySelectorAll('#form input, #form select, #form textarea, #form button')) field.disabled = !editable;
  $('unit').disabled = !editable || me?.role !== 'admin';
  if (!editable) message('ok', 'Nur lesen: Dieser Raum gehört nicht zu Ihren Organisationseinheiten · Read only: not one of your units.');
  displayId = r.displayIds[0] ?? null;
  $('title').textContent = `Raum ${r.number} · ${r.name}`;
  document.title = `Raum ${r.number} · Wegweiser`;
  $('name').value = r.name;
  $('unit').value = r.unitId ?? '';
  $('officeHours').value = r.officeHours;
  fillHours(r.hours ?? []);
  occupantIds = [...r.occupantIds];
  serviceIds = [...r.serviceIds];
  $('notice-text').value = r.notice?.text ?? '';
  $('notice-redirect').value = r.notice?.redirectRoomId ? roomLabel(roomsById.get(r.notice.redirectRoomId)) : '';
  renderLists();
}

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
  const [r, units, ppl, svc, rooms] = await Promise.all([
    api(`/api/rooms/${encodeURIComponent(roomId)}`),
    api('/api/units'),
    api('/api/people'),
    api('/api/services'),
    api('/api/rooms'),
  ]);
  people = ppl;
  services = svc;
  roomsById = new Map(rooms.map((x) => [x.id, x]));
  options($('unit'), units, (u) => u.name, '— keine · none —');
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

const DAYS = ['mo', 'tu', 'we', 'th', 'fr', 'sa'];
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
  for (const day of DAYS) {
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
  for (const day of DAYS) $(`h-${day}`).value = slots.filter((x) => x.day === day).map((x) => `${short(x.from)}–${short(x.to)}`).join(', ');
}

function formState() {
  const text = $('notice-text').value.trim();
  const keepWindow = room.notice && text === room.notice.text ? { from: room.notice.from, until: room.notice.until } : {};
  return {
    name: $('name').value,
    unitId: $('unit').value || null,
    officeHours: $('officeHours').value,
    hours: readHours().slots,
    occupantIds: [...occupantIds],
    serviceIds: [...serviceIds],
    notice: text ? { text, redirectRoomId: redirectTarget()?.id ?? null, ...keepWindow } : null,
  };
}

/** A room or an edit in words, field by field, for the conflict view. */
function describe(r) {
  const names = (ids, xs, f) => ids.map((id) => f(xs.find((x) => x.id === id)) ?? id).join(', ') || '—';
  return [
    ['Bezeichnung · Name', r.name],
    ['Sprechzeiten · Office hours', r.officeHours || '—'],
    ['Besetzung · Occupants', names(r.occupantIds, people, (p) => p?.name)],
    ['Leistungen · Services', names(r.serviceIds, services, (x) => x?.nameDe)],
    ['Hinweis · Notice', r.notice?.text ?? '—'],
    ['Umleitung · Redirect', r.notice?.redirectRoomId ? (roomsById.get(r.notice.redirectRoomId)?.number ?? r.notice.redirectRoomId) : '—'],
  ];
}

function showConflict(mine, current) {
  const a = describe(mine);
  const b = describe(current);
  const column = (title, rows, other) =>
    el('section', {}, el('h3', { text: title }), el('dl', {}, rows.flatMap(([k, v], i) => [el('dt', { text: k }), el('dd', { class: v !== other[i][1] ? 'differs' : '', text: v })])));
  const box = $('message');
  box.replaceChildren(
    el(
      'div',
      { class: 'message error', role: 'alert' },
      'Jemand anderes hat diesen Raum inzwischen geändert – nichts wurde überschrieben. · Someone else changed this room meanwhile – nothing was overwritten.',
    ),
    el('div', { class: 'conflict', id: 'conflict' }, column('Ihre Fassung · Your version', a, b), column(`Gespeicherte Fassung · Saved version (v${current.version})`, b, a)),
    el(
      'p',
      { class: 'row' },
      el('button', { type: 'button', class: 'secondary', id: 'take-saved', onclick: () => { fill(current); message('ok', 'Gespeicherte Fassung geladen · Saved version loaded.'); } }, 'Gespeicherte Fassung übernehmen · Take the saved version'),
      el('button', { type: 'button', class: 'secondary', id: 'keep-mine', onclick: () => save(current.version) }, 'Meine Fassung darüber speichern · Save mine over it'),
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

for (const id of ['name', 'officeHours', 'notice-text', 'notice-redirect', ...DAYS.map((d) => `h-${d}`)]) $(id).addEventListener('input', schedulePreview);

async function save(version) {
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
  const mine = formState();
  $('save').disabled = true;
  try {
    fill(await api(`/api/rooms/${encodeURIComponent(roomId)}`, { method: 'PATCH', body: { version, ...mine } }));
    previewing = false;
    clearTimeout(previewTimer);
    previewSeq++;
    $('preview-note').textContent = '';
    $('preview').dataset.hash = ''; // show the stored frame from the server again
    message('ok', 'Gespeichert · Saved. Die Anzeige wird aktualisiert · updating the display …');
    renderStatus();
  } catch (err) {
    if (err instanceof ApiError && err.status === 409 && err.body?.current) showConflict({ ...room, ...mine }, err.body.current);
    else if (err instanceof ApiError) message('error', `Nicht gespeichert · Not saved: ${err.message}`, err.body?.error?.issues ?? []);
    else message('error', `Nicht gespeichert · Not saved: ${err.message}`);
  } finally {
    $('save').disabled = !mayEdit(room);
  }
}

$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  void save(room.version);
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
