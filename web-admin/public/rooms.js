import { api, connectLive, describeStatus, el, mountUserMenu, previewUrl, session } from './common.js';

const statusById = new Map();
const cards = new Map(); // displayId → { img, status }

function renderStatus(displayId) {
  const card = cards.get(displayId);
  const s = statusById.get(displayId);
  if (!card || !s) return;
  const d = describeStatus(s);
  card.status.className = `status ${d.cls}`;
  card.status.textContent = d.text;
  if (s.desiredHash && card.img.dataset.hash !== s.desiredHash) {
    card.img.dataset.hash = s.desiredHash;
    card.img.src = previewUrl(displayId, s.desiredHash);
  }
}

async function load() {
  const [floors, rooms, people] = await Promise.all([api('/api/floors'), api('/api/rooms'), api('/api/people')]);
  const personName = new Map(people.map((p) => [p.id, p.name]));
  const services = await api('/api/services');
  const serviceName = new Map(services.map((x) => [x.id, `${x.nameDe} ${x.nameEn}`]));
  const root = document.getElementById('floors');
  root.replaceChildren();
  for (const floor of floors) {
    const grid = el('div', { class: 'grid' });
    for (const room of rooms.filter((r) => r.floorId === floor.id)) {
      const displayId = room.displayIds[0];
      const img = el('img', { alt: `Vorschau des Türschilds ${room.number}`, loading: 'lazy', width: 800, height: 480 });
      const status = el('div', { class: 'status unknown', text: displayId ? '…' : 'keine Anzeige · no display' });
      const occupants = room.occupantIds.map((id) => personName.get(id)).filter(Boolean).join(', ');
      const haystack = [room.number, room.name, occupants, ...room.serviceIds.map((id) => serviceName.get(id) ?? ''), room.notice?.text ?? ''].join(' ');
      grid.append(
        el(
          'a',
          { class: 'card', href: `/room?id=${encodeURIComponent(room.id)}`, 'data-room': room.id, 'data-search': fold(haystack) },
          el('span', { class: 'num' }, `${room.number} `, el('span', { class: 'muted', text: room.name })),
          displayId ? img : null,
          el('span', { class: 'muted', text: occupants || '—' }),
          room.notice ? el('span', {}, el('span', { class: 'badge', text: 'Hinweis' }), ' ', room.notice.text) : null,
          status,
        ),
      );
      if (displayId) {
        cards.set(displayId, { img, status });
        renderStatus(displayId);
      }
    }
    root.append(el('section', { 'aria-labelledby': `h-${floor.id}` }, el('h2', { id: `h-${floor.id}`, text: floor.name }), grid));
  }
  root.removeAttribute('aria-busy');
  applySearch();
}

/** Case, umlaut and ß folding, so "strasse" finds "Straße" and "mueller" finds "Müller". */
function fold(s) {
  return s.toLowerCase().replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue').replace(/ß/g, 'ss').normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

function applySearch() {
  const words = fold(document.getElementById('search').value).split(/\s+/).filter(Boolean);
  for (const section of document.querySelectorAll('#floors section')) {
    let visible = 0;
    for (const card of section.querySelectorAll('a.card')) {
      const show = words.every((w) => card.dataset.search.includes(w));
      card.hidden = !show;
      if (show) visible++;
    }
    section.hidden = visible === 0;
  }
}

document.getElementById('search').addEventListener('input', applySearch);

mountUserMenu(await session());
connectLive(
  (msg) => {
    if (msg.type === 'snapshot') for (const s of msg.displays) statusById.set(s.id, s);
    if (msg.type === 'display.status') statusById.set(msg.status.id, msg.status);
    if (msg.type === 'store.changed' && msg.entity === 'room') void load();
    for (const id of cards.keys()) renderStatus(id);
  },
  (up) => {
    document.getElementById('live').textContent = up ? '● live' : '○ getrennt · disconnected';
  },
);
load().catch((err) => {
  document.getElementById('floors').textContent = `Fehler beim Laden: ${err.message}`;
});
