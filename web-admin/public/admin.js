import { api, ApiError, applyLanguage, el, mountUserMenu, session, trackEdits, tr } from './common.js';

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
        } }), ' ', el('button', { type: 'button', class: 'secondary', text: tr('Passwort zurücksetzen', 'Reset password'), onclick: async () => {
          try {
            const { oneTimePassword } = await api(`/api/users/${u.id}/password-reset`, { method: 'POST', body: {} });
            message('ok', `Neues Einmal-Passwort für ${u.username} (nur jetzt sichtbar · shown once; alle Sitzungen beendet · all sessions ended): ${oneTimePassword}`);
            await loadUsers();
          } catch (err) {
            fail(err);
          }
        } })),
      );
    }),
  );
}

const KIND = { 'user-address': 'Name + Adresse · name + address', user: 'Name (alle Adressen) · name (all addresses)', address: 'Adresse (alle Namen) · address (all names)' };

/** Who is being slowed down at login, and a way to lift it (audited). */
async function loadLimits() {
  const { policy, limits } = await api('/api/login-limits');
  $('limits-policy').textContent = tr(
    `Nach ${policy.freeFailures} Fehlversuchen für einen Namen von einer Adresse wächst die Wartezeit (höchstens ${Math.round(policy.maxDelayMs / 60_000)} min); gesperrt wird kein Konto.`,
    `After ${policy.freeFailures} failures for a name from one address the wait grows (at most ${Math.round(policy.maxDelayMs / 60_000)} min); no account is locked.`,
  );
  const state = (l) =>
    l.kind === 'user-address'
      ? l.waitMs > 0 ? tr(`wartet noch ${Math.ceil(l.waitMs / 1000)} s`, `waits ${Math.ceil(l.waitMs / 1000)} s more`) : tr('frei', 'free')
      : l.slowing ? tr('bremst: je Adresse 1 Versuch frei', 'slowing: 1 free try per address') : tr('unter der Schwelle', 'below the ceiling');
  $('limits').replaceChildren(
    ...limits.map((l) =>
      el(
        'tr',
        { 'data-limit': l.id },
        el('td', { text: KIND[l.kind] ?? l.kind, 'data-i18n': true }),
        el('td', {}, l.username ? el('code', { text: l.username }) : '—'),
        el('td', {}, l.address ? el('code', { text: l.address }) : '—'),
        el('td', { text: String(l.failures) }),
        el('td', { text: state(l) }),
        el('td', {}, el('button', { type: 'button', class: 'secondary', text: tr('Aufheben', 'Lift'), 'aria-label': `${tr('Aufheben', 'Lift')}: ${[l.username, l.address].filter(Boolean).join(' @ ')}`, onclick: async () => {
          try {
            await api(`/api/login-limits/${encodeURIComponent(l.id)}`, { method: 'DELETE' });
            message('ok', tr('Aufgehoben', 'Lifted'));
            await Promise.all([loadLimits(), loadAudit()]);
          } catch (err) {
            fail(err);
          }
        } })),
      ),
    ),
  );
  if (limits.length === 0) $('limits').replaceChildren(el('tr', {}, el('td', { colspan: '6', class: 'muted', text: 'Keine Fehlversuche · No failed logins', 'data-i18n': true })));
  applyLanguage($('limits'));
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

await Promise.all([loadUsers(), loadLimits(), loadAudit()]);
