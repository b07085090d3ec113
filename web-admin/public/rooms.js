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
  const root = document.getElementById('floors');
  root.replaceChildren();
  for (const floor of floors) {
    const grid = el('div', { class: 'grid' });
    for (const room of rooms.filter((r) => r.floorId === floor.id)) {
      const displayId = room.displayIds[0];
      const img = el('img', { alt: `Vorschau des Türschilds ${room.number}`, loading: 'lazy', width: 800, height: 480 });
      const status = el('div', { class: 'status unknown', text: displayId ? '…' : 'keine Anzeige · no display' });
      const occupants = room.occupantIds.map((id) => personName.get(id)).filter(Boolean).join(', ');
      grid.append(
        el(
          'a',
          { class: 'card', href: `/room?id=${encodeURIComponent(room.id)}`, 'data-room': room.id },
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
}

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
