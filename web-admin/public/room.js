import { api, ApiError, connectLive, describeScheduled, describeStatus, el, previewUrl } from './common.js';

const roomId = new URLSearchParams(location.search).get('id');
const $ = (id) => document.getElementById(id);
let room = null;
let people = [];
let services = [];
let occupantIds = [];
let serviceIds = [];
let displayId = null;
let lastStatus = null;

function message(kind, text, issues = []) {
  const box = $('message');
  box.replaceChildren();
  if (!text) return;
  box.append(el('div', { class: `message ${kind}` }, text, issues.length ? el('ul', {}, issues.map((i) => el('li', { text: `${i.field}: ${i.message}` }))) : null));
}

function chips(listId, ids, catalogue, label, onRemove) {
  const list = $(listId);
  list.replaceChildren(
    ...ids.map((id) => {
      const item = catalogue.find((x) => x.id === id);
      const name = item ? label(item) : id;
      return el('li', {}, name, el('button', { type: 'button', 'aria-label': `${name} entfernen · remove`, onclick: () => onRemove(id), text: '×' }));
    }),
  );
}

function options(select, items, label, placeholder) {
  select.replaceChildren(el('option', { value: '', text: placeholder }), ...items.map((x) => el('option', { value: x.id, text: label(x) })));
}

function renderLists() {
  chips('occupants', occupantIds, people, (p) => p.name, (id) => {
    occupantIds = occupantIds.filter((x) => x !== id);
    renderLists();
  });
  chips('services', serviceIds, services, (s) => s.nameDe, (id) => {
    serviceIds = serviceIds.filter((x) => x !== id);
    renderLists();
  });
  options($('add-person'), people.filter((p) => !occupantIds.includes(p.id)), (p) => p.name, '— Person wählen —');
  options($('add-service'), services.filter((s) => !serviceIds.includes(s.id)), (s) => `${s.nameDe} · ${s.nameEn}`, '— Leistung wählen —');
}

function renderStatus() {
  const s = lastStatus;
  const d = describeStatus(s);
  $('display-status').className = `status ${d.cls}`;
  $('display-status').textContent = displayId ? d.text : 'Diesem Raum ist keine Anzeige zugeordnet · no display';
  if (s?.desiredHash && $('preview').dataset.hash !== s.desiredHash) {
    $('preview').dataset.hash = s.desiredHash;
    $('preview').src = previewUrl(displayId, s.desiredHash);
  }
  $('warnings').textContent = s?.warnings?.length ? `Passt nicht ganz · Does not fit: ${s.warnings.join(' · ')}` : '';
  $('scheduled').textContent = describeScheduled(s) ?? '';
}

function fill(r) {
  room = r;
  displayId = r.displayIds[0] ?? null;
  $('title').textContent = `Raum ${r.number} · ${r.name}`;
  document.title = `Raum ${r.number} · Wegweiser`;
  $('name').value = r.name;
  $('unit').value = r.unitId ?? '';
  $('officeHours').value = r.officeHours;
  occupantIds = [...r.occupantIds];
  serviceIds = [...r.serviceIds];
  $('notice-text').value = r.notice?.text ?? '';
  $('notice-redirect').value = r.notice?.redirectRoomId ?? '';
  renderLists();
}

async function load() {
  if (!roomId) {
    message('error', 'Kein Raum angegeben · no room given (?id=…)');
    return;
  }
  const [r, units, ppl, svc, rooms] = await Promise.all([
    api(`/api/rooms/${encodeURIComponent(roomId)}`),
    api('/api/units'),
    api('/api/people'),
    api('/api/services'),
    api('/api/rooms'),
  ]);
  people = ppl;
  services = svc;
  options($('unit'), units, (u) => u.name, '— keine · none —');
  options($('notice-redirect'), rooms.filter((x) => x.id !== roomId), (x) => `${x.number} · ${x.name}`, '— keine Umleitung · no redirect —');
  fill(r);
  if (displayId) {
    lastStatus = await api(`/api/displays/${encodeURIComponent(displayId)}`);
    renderStatus();
  }
}

$('add-person').addEventListener('change', (e) => {
  if (e.target.value) occupantIds.push(e.target.value);
  renderLists();
  $('add-person').focus();
});
$('add-service').addEventListener('change', (e) => {
  if (e.target.value) serviceIds.push(e.target.value);
  renderLists();
  $('add-service').focus();
});

$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const text = $('notice-text').value.trim();
  const body = {
    version: room.version,
    name: $('name').value,
    unitId: $('unit').value || null,
    officeHours: $('officeHours').value,
    occupantIds,
    serviceIds,
    notice: text ? { text, redirectRoomId: $('notice-redirect').value || null } : null,
  };
  $('save').disabled = true;
  try {
    fill(await api(`/api/rooms/${encodeURIComponent(roomId)}`, { method: 'PATCH', body }));
    message('ok', 'Gespeichert · Saved. Die Anzeige wird aktualisiert · updating the display …');
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) message('error', 'Jemand anderes hat diesen Raum inzwischen geändert. Bitte neu laden · Changed by someone else, please reload.');
    else if (err instanceof ApiError) message('error', `Nicht gespeichert · Not saved: ${err.message}`, err.body?.error?.issues ?? []);
    else message('error', `Nicht gespeichert · Not saved: ${err.message}`);
  } finally {
    $('save').disabled = false;
  }
});

connectLive(
  (msg) => {
    if (msg.type === 'snapshot') lastStatus = msg.displays.find((s) => s.id === displayId) ?? lastStatus;
    if (msg.type === 'display.status' && msg.status.id === displayId) lastStatus = msg.status;
    if (displayId) renderStatus();
  },
  (up) => {
    $('live').textContent = up ? '● live' : '○ getrennt · disconnected';
  },
);
load().catch((err) => message('error', `Fehler beim Laden · Could not load: ${err.message}`));
