import { api, ApiError, el, mountUserMenu, session, trackEdits } from './common.js';

const $ = (id) => document.getElementById(id);
const me = await session();
mountUserMenu(me);
let units = [];
let rooms = [];
/** unsaved edits in the forms (and in the absence fields of the table): leaving asks first */
const edits = { people: trackEdits($('people')), person: trackEdits($('add-person')), service: trackEdits($('add-service')) };

function message(kind, text, issues = []) {
  $('message').replaceChildren(text ? el('div', { class: `message ${kind}` }, text, issues.length ? el('ul', {}, issues.map((i) => el('li', { text: `${i.field}: ${i.message}` }))) : null) : '');
  $('message').scrollIntoView({ block: 'nearest' });
}
const fail = (prefix, err) => message('error', `${prefix}: ${err.message}`, err instanceof ApiError ? (err.body?.error?.issues ?? []) : []);
const mayEdit = (p) => me.role === 'admin' || (me.role === 'editor' && p.unitId && me.unitIds.includes(p.unitId));
const fmt = (iso) => new Date(iso).toLocaleString('de-DE', { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
const localInput = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function absenceCell(p) {
  const active = p.absence && Date.parse(p.absence.until) > Date.now();
  const cell = el('td', {});
  if (active) {
    const sub = rooms.find((r) => r.id === p.absence.substituteRoomId);
    cell.append(el('div', { text: `bis ${fmt(p.absence.until)}${sub ? ` · Vertretung: ${sub.number}` : ''}` }));
    if (mayEdit(p)) cell.append(el('button', { type: 'button', class: 'secondary', onclick: () => setAbsence(p, null), text: 'Zurück · Back' }));
    return cell;
  }
  if (!mayEdit(p)) return el('td', { class: 'muted', text: '—' });
  const until = el('input', { type: 'datetime-local', 'aria-label': `Abwesend bis · Away until (${p.name})`, value: localInput(new Date(Date.now() + 8 * 3600_000)) });
  const sub = el('select', { 'aria-label': `Vertretungsraum · Substitute room (${p.name})` }, el('option', { value: '', text: '— keine Vertretung · none —' }), ...rooms.map((r) => el('option', { value: r.id, text: `${r.number} · ${r.name}` })));
  cell.append(
    el('div', { class: 'row' }, until, sub),
    el('button', { type: 'button', class: 'secondary', onclick: () => setAbsence(p, { until: new Date(until.value).toISOString(), substituteRoomId: sub.value || null }), text: 'Abwesend melden · Mark away' }),
  );
  return cell;
}

async function setAbsence(p, absence) {
  try {
    await api(`/api/people/${encodeURIComponent(p.id)}`, { method: 'PATCH', body: { version: p.version, absence } });
    message('ok', absence ? `${p.name}: abwesend gemeldet – das Türschild wird aktualisiert · marked away, the door sign updates.` : `${p.name}: wieder da · back.`);
    await load();
  } catch (err) {
    fail('Nicht gespeichert · Not saved', err);
  }
}

async function load() {
  const [people, services, u, r] = await Promise.all([api('/api/people'), api('/api/services'), api('/api/units'), api('/api/rooms')]);
  units = u;
  rooms = r;
  const roomsOf = (pred) => rooms.filter(pred).map((x) => x.number).join(', ') || '—';
  $('people').replaceChildren(
    ...people.map((p) =>
      el(
        'tr',
        { 'data-person': p.id },
        el('td', { text: p.name }),
        el('td', { text: p.title ?? '' }),
        el('td', { text: units.find((x) => x.id === p.unitId)?.name ?? '—' }),
        el('td', { text: roomsOf((x) => x.occupantIds.includes(p.id)) }),
        absenceCell(p),
      ),
    ),
  );
  $('services').replaceChildren(
    ...services.map((s) =>
      el('tr', { 'data-service': s.id }, el('td', { text: s.nameDe }), el('td', { text: s.nameEn }), el('td', { text: s.synonyms.join(', ') }), el('td', { text: roomsOf((x) => x.serviceIds.includes(s.id)) })),
    ),
  );
  edits.people.settle(); // the table was just drawn from the stored state
  const addable = units.filter((x) => me.role === 'admin' || me.unitIds.includes(x.id));
  if (!$('p-unit').options.length) {
    $('p-unit').replaceChildren(...addable.map((x) => el('option', { value: x.id, text: x.name })));
    edits.person.settle();
  }
  $('add-person').hidden = addable.length === 0 || me.role === 'viewer';
  $('add-service').hidden = me.role !== 'admin';
}

$('add-person').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('/api/people', { method: 'POST', body: { name: $('p-name').value.trim(), title: $('p-title').value.trim() || null, unitId: $('p-unit').value || null } });
    message('ok', `${$('p-name').value.trim()} hinzugefügt · added.`);
    $('p-name').value = '';
    $('p-title').value = '';
    edits.person.settle();
    await load();
  } catch (err) {
    fail('Nicht gespeichert · Not saved', err);
  }
});

$('add-service').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    const synonyms = $('s-syn').value.split(',').map((x) => x.trim()).filter(Boolean);
    await api('/api/services', { method: 'POST', body: { nameDe: $('s-de').value.trim(), nameEn: $('s-en').value.trim(), synonyms } });
    message('ok', `${$('s-de').value.trim()} hinzugefügt · added.`);
    for (const id of ['s-de', 's-en', 's-syn']) $(id).value = '';
    edits.service.settle();
    await load();
  } catch (err) {
    fail('Nicht gespeichert · Not saved', err);
  }
});

await load();
