// The visitors' page (kiosk and phone): search a service, a name or a room number; get the room where it is offered
// now and the way there, step by step and on the plans. No login. User and server text is only set as textContent.

const T = {
  de: {
    title: 'Wohin möchten Sie?', qLabel: 'Leistung, Name oder Zimmernummer', go: 'Suchen', stepFree: 'Stufenlos (ohne Treppen)',
    back: 'Neue Suche', here: 'Sie sind hier', none: 'Nichts gefunden. Versuchen Sie ein anderes Wort, z. B. „Aufenthaltstitel“ oder einen Namen.',
    empty: 'Bitte geben Sie eine Leistung, einen Namen oder eine Zimmernummer ein.', room: 'Zimmer', open: 'jetzt geöffnet', closed: 'jetzt geschlossen',
    metres: (m) => `${m} m Weg`, noStepFree: 'nicht stufenlos erreichbar', unreachable: 'derzeit nicht erreichbar', way: (n) => `Weg zu Zimmer ${n}`,
    plan: (f) => `Plan ${f} mit Ihrem Weg`, png: 'Plan als Bild (PNG)', error: 'Das hat nicht geklappt. Bitte versuchen Sie es noch einmal.', off: 'Für dieses Gebäude gibt es noch keinen Plan.',
  },
  en: {
    title: 'Where would you like to go?', qLabel: 'Service, name or room number', go: 'Search', stepFree: 'Step-free (no stairs)',
    back: 'New search', here: 'You are here', none: 'Nothing found. Try another word, e.g. “residence permit” or a name.',
    empty: 'Please enter a service, a name or a room number.', room: 'Room', open: 'open now', closed: 'closed now',
    metres: (m) => `${m} m walk`, noStepFree: 'not reachable step-free', unreachable: 'cannot be reached right now', way: (n) => `Way to room ${n}`,
    plan: (f) => `Plan of the ${f} with your way`, png: 'Plan as image (PNG)', error: 'That did not work. Please try again.', off: 'There is no plan for this building yet.',
  },
};

const params = new URLSearchParams(location.search);
const kiosk = location.pathname.replace(/\.html$/, '') === '/kiosk';
const LANG_KEY = 'wegweiser-find-lang';
let lang = params.get('lang') === 'en' || params.get('lang') === 'de' ? params.get('lang') : (!kiosk && localStorage.getItem(LANG_KEY)) || (kiosk || (navigator.language || 'de').startsWith('de') ? 'de' : 'en');
let from = params.get('from') || '';
let start = null;
let lastHits = [];
let shown = null; // { to, hit }

const $ = (id) => document.getElementById(id);
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  node.append(...children.filter(Boolean));
  return node;
}
const t = (key, ...args) => {
  const v = T[lang][key];
  return typeof v === 'function' ? v(...args) : v;
};
const pick = (text) => (text && typeof text === 'object' ? text[lang] : text);

async function get(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const msg = body?.error?.issues?.[0]?.message ?? body?.error?.message ?? t('error');
    throw new Error(msg);
  }
  return body;
}

function say(text) {
  $('message').replaceChildren(text ? el('p', { class: 'message error', text }) : '');
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.title = `Wegweiser – ${t('title')}`;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  for (const b of document.querySelectorAll('[data-lang]')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  $('here').textContent = start ? `${t('here')}: ${pick(start.label)}` : '';
  renderHits(lastHits);
  if (shown) void showRoute(shown.to, shown.hit, false);
}

function destinationLine(d) {
  if (!d) return '';
  const parts = [`${t('room')} ${d.number}`, pick({ de: d.floor.de, en: d.floor.en })];
  if (d.reach === 'ok' && d.metres !== null) parts.push(t('metres', d.metres));
  if (d.reach === 'unreachable-step-free') parts.push(t('noStepFree'));
  if (d.reach === 'unreachable') parts.push(t('unreachable'));
  if (d.open === true) parts.push(t('open'));
  if (d.open === false) parts.push(t('closed'));
  return parts.join(' · ');
}

function renderHits(hits) {
  lastHits = hits;
  $('results').replaceChildren(
    ...hits.map((h) => {
      const button = el(
        'button',
        { type: 'button', class: 'hit', disabled: !h.destination },
        el('span', { class: 'hit-title', text: h.title }),
        el('span', { class: 'hit-sub', text: pick(h.subtitle) }),
        el('span', { class: 'hit-dest', text: destinationLine(h.destination) }),
        ...h.notes.map((n) => el('span', { class: 'hit-note', text: pick(n) })),
      );
      button.addEventListener('click', () => void showRoute(h.destination.roomId, h, true));
      return el('li', {}, button);
    }),
  );
}

function query(extra) {
  const p = new URLSearchParams(extra);
  if (from) p.set('from', from);
  if ($('step-free').checked) p.set('stepFree', '1');
  return p;
}

async function search(event) {
  event?.preventDefault();
  const q = $('q').value.trim();
  $('route').hidden = true;
  shown = null;
  if (!q) {
    renderHits([]);
    say(t('empty'));
    return;
  }
  try {
    const r = await get(`/api/public/search?${query({ q })}`);
    say(r.hits.length ? '' : t('none'));
    renderHits(r.hits);
  } catch (err) {
    say(err.message);
  }
}

async function showRoute(to, hit, focus) {
  shown = { to, hit };
  try {
    const plan = await get(`/api/public/route?${query({ to })}`);
    $('results').replaceChildren();
    const section = $('route');
    section.hidden = false;
    const number = plan.to.number;
    $('route-title').textContent = `${t('way', number)} · ${pick({ de: plan.to.floor.de, en: plan.to.floor.en })}`;
    $('notes').replaceChildren(...(hit?.notes ?? []).map((n) => el('li', { text: pick(n) })));
    if (!plan.ok) {
      $('steps').replaceChildren();
      $('plans').replaceChildren();
      say(pick(plan.message));
    } else {
      say('');
      $('steps').replaceChildren(...plan.directions[lang].map((s) => el('li', { text: s })));
      const floors = new Map((await building()).floors.map((f) => [f.id, f]));
      $('plans').replaceChildren(
        ...plan.floors.map((f) => {
          const floor = floors.get(f.floorId);
          const name = lang === 'en' ? floor?.nameEn || floor?.name : floor?.name;
          const q = query({ to, lang }).toString();
          return el(
            'figure',
            { class: 'plan' },
            el('img', { src: `/api/public/plan/${encodeURIComponent(f.floorId)}.svg?${q}`, alt: t('plan', name ?? f.floorId), width: 1248, height: 448 }),
            el('figcaption', {}, el('span', { text: name ?? '' }), ' · ', el('a', { href: `/api/public/plan/${encodeURIComponent(f.floorId)}.png?${q}`, download: `plan-${f.floorId}.png`, text: t('png') })),
          );
        }),
      );
    }
    const url = new URL(location.href);
    url.search = query({ to }).toString();
    history.replaceState(null, '', url);
    if (focus) $('route-title').focus();
  } catch (err) {
    say(err.message);
  }
}

let buildingInfo = null;
async function building() {
  buildingInfo ??= await get('/api/public/building');
  return buildingInfo;
}

async function init() {
  if (kiosk) document.body.classList.add('kiosk');
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => {
      lang = b.dataset.lang;
      if (!kiosk) localStorage.setItem(LANG_KEY, lang);
      applyLanguage();
    });
  }
  $('step-free').checked = params.get('stepFree') === '1';
  $('search').addEventListener('submit', search);
  $('step-free').addEventListener('change', () => (shown ? void showRoute(shown.to, shown.hit, false) : $('q').value.trim() && search()));
  $('back').addEventListener('click', () => {
    shown = null;
    $('route').hidden = true;
    $('q').value = '';
    const url = new URL(location.href);
    url.search = query({}).toString();
    history.replaceState(null, '', url);
    $('q').focus();
  });
  try {
    const b = await building();
    if (!b.enabled) {
      say(t('off'));
      return;
    }
    start = from ? b.places.find((p) => p.nodeId === from) ?? null : b.start;
    if (from && !start) {
      say(lang === 'de' ? `Unbekannter Standort „${from}“ – der Weg beginnt am Eingang.` : `Unknown location “${from}” – the way starts at the entrance.`);
      from = '';
      start = b.start;
    }
  } catch (err) {
    say(err.message);
  }
  applyLanguage();
  const to = params.get('to');
  if (to) await showRoute(to, null, false);
  document.body.dataset.ready = 'true';
  // A kiosk returns to its start screen after two minutes without a touch.
  if (kiosk) {
    let idle;
    const reset = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        $('back').click();
        renderHits([]);
        say('');
        lang = 'de';
        applyLanguage();
      }, 120_000);
    };
    for (const ev of ['pointerdown', 'keydown']) addEventListener(ev, reset);
    reset();
  }
}

void init();
