import { api, ApiError, el, mountUserMenu, session } from './common.js';

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
    await load();
  } catch (err) {
    message('error', `Nicht veröffentlicht · Not posted: ${err.message}`, err instanceof ApiError ? (err.body?.error?.issues ?? []) : []);
  }
});

await load();
