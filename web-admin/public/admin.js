import { api, ApiError, el, mountUserMenu, session, trackEdits } from './common.js';

const $ = (id) => document.getElementById(id);
const me = await session();
mountUserMenu(me);
if (me.role !== 'admin') {
  $('message').replaceChildren(el('div', { class: 'message error', text: 'Nur für Admins · Admins only' }));
  throw new Error('not an admin');
}
const units = await api('/api/units');
$('u-units').replaceChildren(...units.map((u) => el('option', { value: u.id, text: u.name })));
/** an account being filled in: leaving asks first */
const newUserEdits = trackEdits($('add-user'));

function message(kind, text, issues = []) {
  $('message').replaceChildren(text ? el('div', { class: `message ${kind}` }, text, issues.length ? el('ul', {}, issues.map((i) => el('li', { text: `${i.field}: ${i.message}` }))) : null) : '');
  $('message').scrollIntoView({ block: 'nearest' });
}
const fail = (err) => message('error', err.message, err instanceof ApiError ? (err.body?.error?.issues ?? []) : []);

async function loadUsers() {
  const users = await api('/api/users');
  $('users').replaceChildren(
    ...users.map((u) => {
      const role = el('select', { 'aria-label': `Rolle von ${u.username}` }, ...['admin', 'editor', 'viewer'].map((r) => el('option', { value: r, text: r, selected: r === u.role })));
      role.addEventListener('change', async () => {
        try {
          await api(`/api/users/${u.id}`, { method: 'PATCH', body: { role: role.value } });
          message('ok', `${u.username}: ${role.value}`);
        } catch (err) {
          fail(err);
          role.value = u.role;
        }
      });
      return el(
        'tr',
        { 'data-user': u.username },
        el('td', {}, el('code', { text: u.username }), u.mustChangePassword ? el('div', { class: 'muted', text: 'Einmal-Passwort · one-time password' }) : null),
        el('td', { text: u.name }),
        el('td', {}, role),
        el('td', { text: u.unitIds.map((id) => units.find((x) => x.id === id)?.name ?? id).join(', ') || '—' }),
        el('td', {}, el('button', { type: 'button', class: 'secondary', text: 'API-Token', onclick: async () => {
          try {
            const { token } = await api(`/api/users/${u.id}/tokens`, { method: 'POST', body: { name: `Token ${new Date().toLocaleDateString('de-DE')}` } });
            message('ok', `API-Token für ${u.username} (nur jetzt sichtbar · shown once): ${token}`);
          } catch (err) {
            fail(err);
          }
        } })),
      );
    }),
  );
}

async function loadAudit() {
  const q = new URLSearchParams();
  if ($('a-entity').value) q.set('entity', $('a-entity').value);
  if ($('a-user').value.trim()) q.set('user', $('a-user').value.trim());
  if ($('a-since').value) q.set('since', new Date(`${$('a-since').value}T00:00:00`).toISOString());
  q.set('limit', '200');
  const entries = await api(`/api/audit?${q}`);
  const show = (o) => Object.entries(o).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('\n') || '—';
  $('audit').replaceChildren(
    ...entries.map((e) =>
      el('tr', {}, el('td', { text: new Date(e.at).toLocaleString('de-DE') }), el('td', { text: e.user }), el('td', { text: `${e.action} ${e.entity} ${e.id}` }), el('td', { class: 'pre', text: show(e.before) }), el('td', { class: 'pre', text: show(e.after) })),
    ),
  );
  if (entries.length === 0) $('audit').replaceChildren(el('tr', {}, el('td', { colspan: '5', class: 'muted', text: 'Keine Einträge · No entries' })));
}

$('add-user').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const unitIds = [...$('u-units').selectedOptions].map((o) => o.value);
    const { user, oneTimePassword } = await api('/api/users', { method: 'POST', body: { username: $('u-username').value.trim(), name: $('u-name').value.trim(), role: $('u-role').value, unitIds } });
    message('ok', `Konto ${user.username} angelegt. Einmal-Passwort (nur jetzt sichtbar · shown once): ${oneTimePassword}`);
    $('u-username').value = '';
    $('u-name').value = '';
    newUserEdits.settle();
    await loadUsers();
  } catch (err) {
    fail(err);
  }
});
$('audit-filter').addEventListener('submit', (e) => {
  e.preventDefault();
  void loadAudit();
});

await Promise.all([loadUsers(), loadAudit()]);
