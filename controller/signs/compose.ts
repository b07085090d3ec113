// What a display should show, as a pure function of the stored state (and, later, the clock).
import type { DoorSignContent, SignContent } from '../../renderer/content.js';
import type { Data, Display } from '../domain/model.js';

export function composeDoorSign(data: Readonly<Data>, roomId: string): DoorSignContent {
  const room = data.rooms.find((r) => r.id === roomId);
  if (!room) throw new Error(`room "${roomId}" not found`);
  const unit = room.unitId ? data.units.find((u) => u.id === room.unitId) : undefined;
  const byId = <T extends { id: string }>(xs: readonly T[], ids: readonly string[]) =>
    ids.map((id) => xs.find((x) => x.id === id)).filter((x): x is T => x !== undefined);
  let notice: DoorSignContent['notice'] = null;
  if (room.notice) {
    const target = room.notice.redirectRoomId ? data.rooms.find((r) => r.id === room.notice?.redirectRoomId) : undefined;
    notice = { text: room.notice.text, redirect: target ? { number: target.number, name: target.name } : null };
  }
  return {
    kind: 'door',
    roomNumber: room.number,
    roomName: room.name,
    unit: unit?.name ?? null,
    occupants: byId(data.people, room.occupantIds).map((p) => ({ name: p.name, title: p.title })),
    services: byId(data.services, room.serviceIds).map((s) => ({ de: s.nameDe, en: s.nameEn })),
    officeHours: room.officeHours,
    notice,
  };
}

/** The content for one display; a display not assigned to a room says so instead of showing stale content. */
export function composeForDisplay(data: Readonly<Data>, display: Display): SignContent {
  if (display.roomId) return composeDoorSign(data, display.roomId);
  return {
    kind: 'door',
    roomNumber: '—',
    roomName: `Anzeige ${display.id}`,
    unit: 'Nicht zugeordnet · Not assigned',
    occupants: [],
    services: [],
    officeHours: '',
    notice: null,
  };
}
