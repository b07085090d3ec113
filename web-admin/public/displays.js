import { api, ApiError, connectLive, describeScheduled, describeStatus, el, fmtTime, mountUserMenu, previewUrl, session, tr } from './common.js';

const rows = new Map();
/** floor view: a dot per display on its floor's plan */
const pins = new Map();
let roomNumber = new Map();
let me = null;

/** Admins: forget the display's confirmed state and sequence belief and send it a fresh full frame (audited). */
async function resetDelivery(id) {
  const msg = document.getElementById('message');
  try {
    row(await api(`/api/displays/${encodeURIComponent(id)}/reset`, { method: 'POST' }));
    msg.textContent = tr(`Zustellung für ${id} zurückgesetzt: ein neues vollständiges Bild wird gesendet.`, `Delivery for ${id} reset: a fresh full frame is being sent.`);
  } catch (err) {
    msg.textContent = `${tr('Zurücksetzen fehlgeschlagen', 'Reset failed')}: ${err instanceof ApiError ? err.message : String(err)}`;
  }
  applyFilter();
}

function row(s) {
  let r = rows.get(s.id);
  if (!r) {
    r = { tr: el('tr', { 'data-display': s.id, id: `row-${s.id}` }), img: el('img', { alt: `Vorschau ${s.id}`, loading: 'lazy' }) };
    rows.set(s.id, r);
    document.getElementById('rows').append(r.tr);
  }
  const d = describeStatus(s);
  if (s.desiredHash && r.img.dataset.hash !== s.desiredHash) {
    r.img.dataset.hash = s.desiredHash;
    r.img.src = previewUrl(s.id, s.desiredHash);
  }
  const short = (h) => (h ? h.slice(0, 8) : '–');
  const scheduled = describeScheduled(s);
  r.tr.dataset.status = d.cls;
  r.tr.dataset.search = `${s.id} ${roomNumber.get(s.roomId) ?? ''}`.toLowerCase();
  const pin = pins.get(s.id);
  if (pin) {
    pin.className = `pin status ${d.cls}`;
    const label = `${s.id}${s.roomId ? ` · ${roomNumber.get(s.roomId) ?? s.roomId}` : ''}: ${d.text}`;
    pin.setAttribute('aria-label', label);
    pin.title = label;
  }
  r.tr.replaceChildren(
    el(
      'td',
      {},
      el('code', { text: s.id }),
      el('div', { class: 'muted', text: [s.firmware, s.protocol ? `v${s.protocol}` : null].filter(Boolean).join(' · ') }),
      // A v1.0 display by explicit opt-in: what it reports is believed without authentication.
      s.unauthenticatedReports ? el('div', { class: 'fault', 'data-unauthenticated': s.id, text: tr('unauthentifizierte Meldungen', 'unauthenticated reports') }) : null,
    ),
    el('td', {}, s.roomId ? el('a', { href: `/room?id=${encodeURIComponent(s.roomId)}`, text: roomNumber.get(s.roomId) ?? s.roomId }) : '—'),
    el(
      'td',
      {},
      el('div', { class: `status ${d.cls}`, text: d.text }),
      s.lastError && !s.inSync ? el('div', { class: 'muted', text: `${tr('letzter Fehler', 'last error')}: ${s.lastError}` }) : null,
      s.failed && s.nextAttemptAt ? el('div', { class: 'muted', text: tr(`nächster Versuch um ${fmtTime(s.nextAttemptAt)}`, `next attempt at ${fmtTime(s.nextAttemptAt)}`) }) : null,
      s.fault ? el('div', { class: 'fault', 'data-fault': s.fault.code, text: `${tr('Störung', 'Fault')} (${fmtTime(s.fault.at)}): ${s.fault.message}` }) : null,
      me?.role === 'admin'
        ? el('button', {
            type: 'button',
            class: 'secondary',
            'data-reset': s.id,
            text: tr('Zustellung zurücksetzen', 'Reset delivery'),
            title: tr('Vergisst bestätigten Stand und Sequenznummern und sendet ein vollständiges Bild', 'Forgets the confirmed state and sequence numbers and sends a full frame'),
            onclick: () => resetDelivery(s.id),
          })
        : null,
      scheduled ? el('div', { class: 'muted', text: scheduled }) : null,
      s.warnings.length ? el('div', { class: 'warnings', text: s.warnings.join(' · ') }) : null,
    ),
    el('td', {}, el('code', { text: `${short(s.desiredHash)} · ${short(s.confirmedHash)}` }), s.pendingBytes ? el('div', { class: 'muted', text: `${s.pendingBytes} B unterwegs · in flight` }) : null),
    el('td', { text: [s.rssi !== null ? `${s.rssi} dBm` : null, s.batteryMv ? `${(s.batteryMv / 1000).toFixed(2)} V` : null, s.temperatureC !== null ? `${s.temperatureC} °C` : null].filter(Boolean).join(' · ') || '–' }),
    el('td', { text: s.checkInSeconds ? `alle ${Math.round(s.checkInSeconds / 60)} min · nächster ${fmtTime(s.nextCheckInAt)}` : 'immer erreichbar · always on' }),
    el('td', {}, r.img),
  );
}

me = await session();
mountUserMenu(me);
function applyFilter() {
  const status = document.getElementById('filter-status').value;
  const text = document.getElementById('filter-text').value.trim().toLowerCase();
  let shown = 0;
  for (const { tr } of rows.values()) {
    const ok = (!status || tr.dataset.status === status) && (!text || tr.dataset.search.includes(text));
    tr.hidden = !ok;
    const pin = pins.get(tr.dataset.display);
    if (pin) pin.hidden = !ok || pin.dataset.floor !== document.getElementById('floor-select').value;
    if (ok) shown++;
  }
  document.getElementById('filter-count').textContent = `${shown} von ${rows.size} · ${shown} of ${rows.size}`;
}
document.getElementById('filter-status').addEventListener('change', applyFilter);
document.getElementById('filter-text').addEventListener('input', applyFilter);

const rooms = await api('/api/rooms');
roomNumber = new Map(rooms.map((r) => [r.id, r.number]));

// The floor view: the plan of the chosen floor with every display placed where it hangs.
const positions = await api('/api/displays/positions');
if (positions.floors.length) {
  const select = document.getElementById('floor-select');
  select.replaceChildren(...positions.floors.map((f) => el('option', { value: f.id, text: f.name })));
  const plan = document.getElementById('floorplan');
  for (const p of positions.displays) {
    const pin = el('a', { href: `#row-${p.id}`, class: 'pin status', 'data-floor': p.floorId });
    pin.style.left = `${p.left}%`;
    pin.style.top = `${p.top}%`;
    pins.set(p.id, pin);
    plan.append(pin);
  }
  const showFloor = () => {
    const floor = positions.floors.find((f) => f.id === select.value);
    const img = document.getElementById('floorplan-img');
    img.src = `/api/public/plan/${encodeURIComponent(select.value)}.svg`;
    img.alt = `Grundriss · Floor plan: ${floor?.name ?? ''}`;
    applyFilter();
  };
  select.addEventListener('change', showFloor);
  document.getElementById('floor-view').hidden = false;
  showFloor();
}
connectLive(
  (msg) => {
    if (msg.type === 'snapshot') msg.displays.forEach(row);
    if (msg.type === 'display.status') row(msg.status);
    applyFilter();
  },
  (up) => {
    document.getElementById('live').textContent = up ? '● live' : '○ getrennt · disconnected';
  },
);
