import { Router } from 'express';
import type { Room } from '../../controller/domain/model.js';
import type { WebDeps } from '../services.js';
import { RoomPatchBody, parseBody } from '../validation.js';

export function roomsRouter({ ctx }: WebDeps): Router {
  const r = Router();
  const displaysOf = (room: Room) => ctx.store.displays().filter((d) => d.roomId === room.id).map((d) => d.id);
  const view = (room: Room) => ({ ...room, displayIds: displaysOf(room) });

  r.get('/', (req, res) => {
    const floor = typeof req.query.floor === 'string' ? req.query.floor : undefined;
    const rooms = ctx.store.rooms().filter((x) => !floor || x.floorId === floor);
    res.json(rooms.map(view));
  });

  r.get('/:id', (req, res) => {
    res.json(view(ctx.store.room(req.params.id)));
  });

  r.patch('/:id', async (req, res) => {
    const room = ctx.store.room(req.params.id); // 404 before 400 for an unknown room
    const { version, ...patch } = parseBody(RoomPatchBody, req.body);
    const updated = await ctx.store.updateRoom(room.id, patch, version);
    ctx.log.info({ room: room.id, fields: Object.keys(patch), version: updated.version }, 'room updated');
    res.json(view(updated));
  });

  return r;
}
