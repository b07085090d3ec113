import { api, connectLive, describeStatus, el, previewUrl } from './common.js';

const rows = new Map();
let roomNumber = new Map();

function row(s) {
  let r = rows.get(s.id);
  if (!r) {
    r = { tr: el('tr', { 'data-display': s.id }), img: el('img', { alt: `Vorschau ${s.id}`, loading: 'lazy' }) };
    rows.set(s.id, r);
    document.getElementById('rows').append(r.tr);
  }
  const d = describeStatus(s);
  if (s.desiredHash && r.img.dataset.hash !== s.desiredHash) {
    r.img.dataset.hash = s.desiredHash;
    r.img.src = previewUrl(s.id, s.desiredHash);
  }
  r.tr.replaceChildren(
    el('td', {}, el('code', { text: s.id })),
    el('td', {}, s.roomId ? el('a', { href: `/room?id=${encodeURIComponent(s.roomId)}`, text: roomNumber.get(s.roomId) ?? s.roomId }) : '—'),
    el('td', {}, el('div', { class: `status ${d.cls}`, text: d.text }), s.warnings.length ? el('div', { class: 'warnings', text: s.warnings.join(' · ') }) : null),
    el('td', { text: s.batteryMv ? `${(s.batteryMv / 1000).toFixed(2)} V` : '–' }),
    el('td', { text: s.firmware ?? '–' }),
    el('td', {}, r.img),
  );
}

const rooms = await api('/api/rooms');
roomNumber = new Map(rooms.map((r) => [r.id, r.number]));
connectLive(
  (msg) => {
    if (msg.type === 'snapshot') msg.displays.forEach(row);
    if (msg.type === 'display.status') row(msg.status);
  },
  (up) => {
    document.getElementById('live').textContent = up ? '● live' : '○ getrennt · disconnected';
  },
);
