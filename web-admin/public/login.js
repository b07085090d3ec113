import { api, ApiError, el, setCsrf } from './common.js';

const $ = (id) => document.getElementById(id);
/**
 * Where to go after logging in: only ever back into this site. The browser's own URL parser decides (it reads
 * "/\\evil", "/\tevil" and "//evil" as other hosts, and "javascript:" as another scheme): the target is resolved
 * against this origin and kept only if it lands on it. The result is the absolute URL, never a path — a path such as
 * "//evil" (from "/.//evil") would itself leave the site when assigned.
 */
function sameOriginUrl(raw) {
  const fallback = new URL('/', location.origin).href;
  if (typeof raw !== 'string' || raw === '') return fallback;
  let url;
  try {
    url = new URL(raw, location.origin);
  } catch {
    return fallback;
  }
  return url.origin === location.origin ? url.href : fallback;
}
const next = sameOriginUrl(new URLSearchParams(location.search).get('next'));
let currentPassword = '';

function show(boxId, text) {
  $(boxId).replaceChildren(text ? el('div', { class: 'message error', text }) : '');
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault();
  show('message', '');
  try {
    const s = await api('/api/session', { method: 'POST', body: { username: $('username').value.trim(), password: $('password').value } });
    setCsrf(s.csrfToken);
    if (s.user.mustChangePassword) {
      currentPassword = $('password').value;
      $('login').hidden = true;
      $('change').hidden = false;
      $('new-password').focus();
      return;
    }
    location.href = next;
  } catch (err) {
    if (err instanceof ApiError && err.status === 429) show('message', `Zu viele Fehlversuche · Too many attempts: ${err.message}`);
    else if (err instanceof ApiError && err.status === 401) show('message', 'Benutzername oder Passwort falsch · Wrong user name or password');
    else show('message', err.message);
  }
});

$('change').addEventListener('submit', async (e) => {
  e.preventDefault();
  const pw = $('new-password').value;
  if (pw !== $('repeat-password').value) return show('change-message', 'Die Passwörter stimmen nicht überein · The passwords differ');
  try {
    await api('/api/session/password', { method: 'POST', body: { currentPassword, newPassword: pw } });
    location.href = next;
  } catch (err) {
    const issues = err instanceof ApiError ? (err.body?.error?.issues ?? []) : [];
    show('change-message', issues.length ? issues.map((i) => i.message).join('; ') : err.message);
  }
});

$('username').focus();
