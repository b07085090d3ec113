import { api, ApiError, el, mountUserMenu, session, trackEdits } from './common.js';

const $ = (id) => document.getElementById(id);
const me = await session();
mountUserMenu(me);
const [floors, units, rooms] = await Promise.all([api('/api/floors'), api('/api/units'), api('/api/rooms')]);
const scopeLabel = (s) =>
  s.kind === 'building' ? 'ganzes Gebäude · whole building' : s.kind === 'floor' ? (floors.find((f) => f.id === s.id)?.name ?? s.id) : (units.find((u) => u.id === s.id)?.name ?? s.id);

// Editors may address their own units only; admins any floor, unit, or the building.
const scopes = [
  ...(me.role === 'admin' ? [{ kind: 'building' }, ...floors.map((f) => ({ kind: 'floor', id: f.id }))] : []),
  ...units.filter((u) => me.role === 'admin' || me.unitIds.includes(u.id)).map((u) => ({ kind: 'unit', id: u.id })),
];
$('scope').replaceChildren(...scopes.map((s, i) => el('option', { value: String(i), text: scopeLabel(s) })));
$('redirect').replaceChildren(el('option', { value: '', text: '— keine Umleitung · no redirect —' }), ...rooms.map((r) => el('option', { value: r.id, text: `${r.number} · ${r.name}` })));
if (me.role === 'viewer' || scopes.length === 0) for (const x of document.querySelectorAll('#form input, #form select, #form textarea, #form button')) x.disabled = true;
/** a notice being written: leaving asks first */
const noticeEdits = trackEdits($('form'));

function message(kind, text, issues = []) {
  $('message').replaceChildren(text ? el('div', { class: `message ${kind}` }, text, issues.length ? el('ul', {}, issues.map((i) => el('li', { text: `${i.field}: ${i.message}` }))) : null) : '');
}

const fmt = (iso) => new Date(iso).toLocaleString('de-DE', { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });

async function load() {
  const notices = await api('/api/notices');
  $('rows').replaceChildren(
    ...notices.map((n) =>
      el(
        'tr',
        { 'data-notice': n.id },
        el('td', { text: scopeLabel(n.scope) }),
        el('td', { text: n.text }),
        el('td', { text: `${n.from ? fmt(n.from) : 'sofort'} – ${fmt(n.until)}` }),
        el('td', { text: String(n.roomIds.length) }),
        el('td', {}, el('button', { type: 'button', class: 'secondary', onclick: () => end(n.id), text: 'Beenden · End' })),
      ),
    ),
  );
  if (notices.length === 0) $('rows').replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'muted', text: 'Keine · None' })));
}

async function end(id) {
  try {
    await api(`/api/notices/${encodeURIComponent(id)}`, { method: 'DELETE' });
    message('ok', 'Hinweis beendet – die Schilder zeigen wieder ihren eigenen Stand · Notice ended.');
    await load();
  } catch (err) {
    message('error', err.message);
  }
}

$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const iso = (v) => (v ? new Date(v).toISOString() : null);
  const body = {
    scope: scopes[Number($('scope').value)],
    text: $('text').value.trim(),
    redirectRoomId: $('redirect').value || null,
    from: iso($('from').value),
    ...($('until').value ? { until: iso($('until').value) } : {}),
  };
  try {
    const n = await api('/api/notices', { method: 'POST', body });
    message('ok', `Veröffentlicht auf ${n.roomIds.length} Schildern bis ${fmt(n.until)} · Posted to ${n.roomIds.length} signs.`);
    $('text').value = '';
    noticeEdits.settle();
    await load();
  } catch (err) {
    message('error', `Nicht veröffentlicht · Not posted: ${err.message}`, err instanceof ApiError ? (err.body?.error?.issues ?? []) : []);
  }
});

await load();

// Closures: lifts, stairs and ramps (per floor) that wayfinding must avoid until reopened.
const KIND = { lift: 'Aufzug · Lift', stairs: 'Treppe · Stairs', ramp: 'Rampe · Ramp', entrance: 'Eingang · Entrance' };
const building = await api('/api/building');
const floorName = (id) => floors.find((f) => f.id === id)?.name ?? id;
const places = building.graph.nodes
  .filter((n) => KIND[n.kind])
  .map((n) => ({ id: n.id, text: `${KIND[n.kind]} ${n.label ? `„${n.label}“ ` : ''}(${n.id}) · ${floorName(n.floorId)}` }));
const placeText = (id) => places.find((p) => p.id === id)?.text ?? id;

function closureMessage(kind, text) {
  $('closure-message').replaceChildren(text ? el('div', { class: `message ${kind}`, text }) : '');
}

async function loadClosures() {
  const { closures } = await api('/api/building');
  $('closure-rows').replaceChildren(
    ...closures.map((c) =>
      el(
        'tr',
        { 'data-closure': c.id },
        el('td', { text: placeText(c.id) }),
        el('td', { text: c.reason || '–' }),
        el('td', { text: `${fmt(c.createdAt)} · ${c.createdBy}` }),
        el('td', {}, me.role === 'viewer' ? null : el('button', { type: 'button', class: 'secondary', onclick: () => reopen(c.id), text: 'Wieder öffnen · Reopen' })),
      ),
    ),
  );
  if (closures.length === 0) $('closure-rows').replaceChildren(el('tr', {}, el('td', { colspan: '4', class: 'muted', text: 'Keine · None' })));
}

async function reopen(id) {
  try {
    await api(`/api/building/closures/${encodeURIComponent(id)}`, { method: 'DELETE' });
    closureMessage('ok', `Wieder geöffnet · Reopened: ${placeText(id)}`);
    await loadClosures();
  } catch (err) {
    closureMessage('error', err.message);
  }
}

if (places.length) {
  $('closure-place').replaceChildren(...places.map((p) => el('option', { value: p.id, text: p.text })));
  const closureEdits = trackEdits($('closure-form'));
  if (me.role === 'viewer') for (const x of document.querySelectorAll('#closure-form input, #closure-form select, #closure-form button')) x.disabled = true;
  $('closure-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('/api/building/closures', { method: 'POST', body: { id: $('closure-place').value, reason: $('closure-reason').value.trim() } });
      closureMessage('ok', `Gesperrt · Closed: ${placeText($('closure-place').value)}`);
      $('closure-reason').value = '';
      closureEdits.settle();
      await loadClosures();
    } catch (err) {
      closureMessage('error', `Nicht gesperrt · Not closed: ${err.message}`);
    }
  });
  $('closures').hidden = false;
  await loadClosures();
}
