// Shared browser helpers. User text is only ever set with textContent, never parsed as HTML.

const NAV = [
  ['/', 'Räume · Rooms'],
  ['/directory', 'Verzeichnis · Directory'],
  ['/notices', 'Hinweise · Notices'],
  ['/displays', 'Anzeigen · Displays'],
  ['/admin', 'Verwaltung · Admin'],
  ['/find', 'Besucher · Visitors'],
  ['/api/openapi.json', 'API'],
];

/** Fills `<header class="top" data-nav>`: one navigation for every page, the current one marked. */
function mountHeader() {
  const header = document.querySelector('header.top[data-nav]');
  if (!header) return;
  const here = location.pathname === '/index.html' ? '/' : location.pathname.replace(/\.html$/, '');
  const link = ([href, text]) =>
    el('a', { href, text, 'data-i18n': text.includes(' · '), 'aria-current': href === here || (href === '/' && here === '/room') ? 'page' : null });
  const lang = el(
    'select',
    { id: 'ui-lang', class: 'lang', 'aria-label': 'Sprache · Language' },
    ...[
      ['both', 'DE + EN'],
      ['de', 'Deutsch'],
      ['en', 'English'],
    ].map(([value, text]) => el('option', { value, text, selected: value === uiLang() })),
  );
  lang.addEventListener('change', () => {
    localStorage.setItem(LANG_KEY, lang.value);
    applyLanguage();
    renderBroker();
  });
  header.replaceChildren(
    el('span', { class: 'brand', text: 'Wegweiser' }),
    el('nav', { 'aria-label': 'Hauptmenü · Main menu', class: 'nav' }, ...NAV.map(link)),
    el('span', { class: 'broker', id: 'broker', role: 'status', hidden: true }),
    el('span', { class: 'live', id: 'live', 'aria-live': 'polite' }),
    el('span', { id: 'user', class: 'who' }),
    lang,
    el('button', { id: 'logout', type: 'button', class: 'linkish', 'data-i18n': true, text: 'Abmelden · Log out' }),
  );
}

const LANG_KEY = 'wegweiser-ui-lang';

/** The chosen UI language: "both" (the default: every label in German and English), "de" or "en". */
export function uiLang() {
  const v = localStorage.getItem(LANG_KEY);
  return v === 'de' || v === 'en' ? v : 'both';
}

/**
 * Shows each bilingual label ("Deutsch · English", marked data-i18n) in the chosen language and sets <html lang>
 * for screen readers. Lines built by scripts use tr(de, en).
 */
export function applyLanguage(root = document) {
  const lang = uiLang();
  document.documentElement.lang = lang === 'en' ? 'en' : 'de';
  for (const node of root.querySelectorAll('[data-i18n]')) {
    if (node.dataset.de === undefined) {
      const [de, en] = node.textContent.split(' · ');
      node.dataset.de = de.trim();
      node.dataset.en = (en ?? de).trim();
    }
    node.textContent = lang === 'both' ? `${node.dataset.de} · ${node.dataset.en}` : node.dataset[lang];
  }
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

let csrfToken = null;

export async function api(path, opts = {}) {
  const init = { method: opts.method ?? 'GET', headers: {} };
  if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (init.method !== 'GET' && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, init);
  const text = await res.text();
  const body = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const code = body?.error?.code;
    if (res.status === 401 && !path.startsWith('/api/session')) toLogin();
    if (res.status === 403 && code === 'password_change_required') toLogin();
    throw new ApiError(res.status, body);
  }
  return body;
}

function toLogin() {
  location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
}

/** The logged-in user (and the CSRF token for changes); sends the browser to the login page if there is none. */
export async function session() {
  try {
    const s = await api('/api/session');
    csrfToken = s.csrfToken;
    if (s.user.mustChangePassword) toLogin();
    return s.user;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) toLogin();
    throw err;
  }
}

export function setCsrf(token) {
  csrfToken = token;
}

export function csrf() {
  return csrfToken ?? '';
}

/** The controller's broker link as /api/health last said (null until it answered). */
let broker = null;
const BROKER_POLL_MS = 5000;

/** The header's broker line: connected, or unreachable since when (then every display's state is unknown). */
function renderBroker() {
  const node = document.getElementById('broker');
  if (!node || !broker) return;
  node.hidden = false;
  const up = broker.state === 'connected';
  node.className = `broker ${up ? 'up' : 'down'}`;
  node.dataset.state = broker.state;
  const since = fmtTime(broker.since);
  node.textContent = up
    ? tr('Broker verbunden', 'Broker connected')
    : tr(`Broker nicht erreichbar seit ${since} – Anzeigen unbekannt`, `Broker unreachable since ${since} – displays unknown`);
  node.title = tr(`seit ${since}`, `since ${since}`);
}

/** Polls /api/health (it answers 503, with the same body, while the broker is unreachable). */
function watchBroker() {
  const poll = async () => {
    try {
      const res = await fetch('/api/health', { cache: 'no-store' });
      const body = await res.json();
      if (body?.broker?.state) broker = body.broker;
    } catch {
      broker = null; // the server itself is unreachable: the live line says so
      const node = document.getElementById('broker');
      if (node) node.hidden = true;
    }
    renderBroker();
    setTimeout(poll, BROKER_POLL_MS);
  };
  poll();
}

/** Shows who is logged in, wires the logout button and shows the broker link in the page header. */
export function mountUserMenu(user) {
  watchBroker();
  const who = document.getElementById('user');
  if (who) who.textContent = `${user.name} (${user.role})`;
  if (user.role !== 'admin') for (const a of document.querySelectorAll('a[href="/admin"]')) a.hidden = true;
  document.getElementById('logout')?.addEventListener('click', async () => {
    if (hasUnsaved() && !window.confirm(tr('Ungespeicherte Änderungen verwerfen und abmelden?', 'Discard unsaved changes and log out?'))) return;
    await api('/api/session', { method: 'DELETE' }).catch(() => undefined);
    leaving = true; // asked already
    location.href = '/login';
  });
}

// Unsaved edits: each page registers what holds them; leaving the page with any (a link, reload, closing the tab,
// logging out) asks first. Not after a save or a discard: the checks compare with the state last loaded or saved.
const unsavedChecks = new Set();
let leaving = false;

/** Registers a check "does this page hold unsaved edits?"; returns a function that removes it. */
export function guardUnsaved(isDirty) {
  unsavedChecks.add(isDirty);
  return () => unsavedChecks.delete(isDirty);
}

export function hasUnsaved() {
  return [...unsavedChecks].some((check) => check());
}

window.addEventListener('beforeunload', (e) => {
  if (leaving || !hasUnsaved()) return;
  e.preventDefault();
  e.returnValue = ''; // older browsers need it set to show the question
});

/**
 * Tracks the fields inside `root` (a form, or a table of inline forms): they hold unsaved edits while their values
 * differ from the values at the last `settle()` — call it once the fields are filled, and after each save or discard.
 */
export function trackEdits(root) {
  const values = () =>
    JSON.stringify(
      [...root.querySelectorAll('input, select, textarea')]
        .filter((f) => f.type !== 'search' && f.type !== 'hidden')
        .map((f) => (f.type === 'checkbox' || f.type === 'radio' ? f.checked : f.multiple ? [...f.selectedOptions].map((o) => o.value) : f.value)),
    );
  let settled = values();
  guardUnsaved(() => values() !== settled);
  return {
    settle() {
      settled = values();
    },
  };
}

export function previewUrl(displayId, hash) {
  return `/api/displays/${encodeURIComponent(displayId)}/preview.png${hash ? `?h=${hash}` : ''}`;
}

export function fmtTime(iso) {
  if (!iso) return '–';
  return new Date(iso).toLocaleTimeString('de-DE', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A script-built text in the chosen UI language: German, English, or both ("Deutsch · English"). */
export function tr(de, en) {
  const lang = uiLang();
  return lang === 'de' ? de : lang === 'en' ? en : `${de} · ${en}`;
}

/** Human status of one display, in the chosen UI language. */
export function describeStatus(s) {
  if (!s) return { cls: 'unknown', text: tr('unbekannt', 'unknown') };
  if (s.brokerConnected === false) return { cls: 'unknown', text: tr('unbekannt – keine Verbindung zum Broker', 'unknown – no connection to the broker') };
  if (s.availability === 'offline') return { cls: 'offline', text: 'offline' };
  if (s.failed) return { cls: 'failed', text: `${tr('Fehler', 'failed')}: ${s.lastError ?? ''}` };
  if (s.inSync) return { cls: 'ok', text: tr(`bestätigt von der Anzeige um ${fmtTime(s.confirmedAt)}`, `confirmed by the display at ${fmtTime(s.confirmedAt)}`) };
  if (s.sending) return { cls: 'sending', text: tr('gesendet, warte auf Bestätigung', 'sent, waiting for the display') };
  if (s.availability === 'asleep') {
    return { cls: 'pending', text: tr(`schläft – aktualisiert sich beim nächsten Check-in um ${fmtTime(s.nextCheckInAt)}`, `asleep – updates at its next check-in at ${fmtTime(s.nextCheckInAt)}`) };
  }
  return { cls: 'pending', text: tr('ausstehend', 'pending') };
}

/** A line about a pre-rendered future frame, or null. */
export function describeScheduled(s) {
  if (!s?.scheduledAt) return null;
  const when = (locale) => new Date(s.scheduledAt).toLocaleString(locale, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return s.scheduledConfirmed
    ? tr(`Nächste Änderung ${when('de-DE')} – liegt auf der Anzeige bereit`, `Next change ${when('en-GB')} – held by the display`)
    : tr(`Nächste Änderung ${when('de-DE')} – wird beim nächsten Kontakt übertragen`, `Next change ${when('en-GB')} – sent at the next contact`);
}

/** Live events from /ws; reconnects with backoff. `onMessage` gets each parsed message. */
export function connectLive(onMessage, onState = () => {}) {
  let delay = 500;
  const open = () => {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
    ws.addEventListener('open', () => {
      delay = 500;
      onState(true);
    });
    ws.addEventListener('message', (e) => {
      try {
        onMessage(JSON.parse(e.data));
      } catch (err) {
        console.error('bad live message', err);
      }
    });
    ws.addEventListener('close', (e) => {
      if (e.code === 4401) return toLogin(); // the session ended (logout elsewhere, password reset, expiry)
      onState(false);
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 10_000);
    });
  };
  open();
}

mountHeader();
applyLanguage();
