import { Router } from 'express';
import type { Room } from '../../controller/domain/model.js';
import type { WebDeps } from '../services.js';
import { RoomPatchBody, parseBody } from '../validation.js';
import { AppError, invalid } from '../../controller/errors.js';
import { checkRoomPatch, withRoomPatch } from '../../controller/store/store.js';
import { composeDoorSign } from '../../controller/signs/compose.js';
import { renderSign, frameToPng, panelById, PANELS } from '../../renderer/index.js';
import { diff } from '../../controller/audit/audit-log.js';
import { assertMayChangeOccupants, assertMayEditRoom, auth, type Auth } from '../auth.js';

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

  // The sign as it would look with the editor's unsaved changes: same checks as saving, nothing stored.
  r.post('/:id/preview', async (req, res) => {
    const room = ctx.store.room(req.params.id);
    const { version: _version, ...patch } = parseBody(RoomPatchBody, req.body);
    void _version;
    const issues = checkRoomPatch(ctx.store.data, room.id, patch);
    if (issues.length) throw invalid(issues);
    const display = ctx.store.displays().find((d) => d.roomId === room.id);
    const panel = panelById(display?.panel ?? 'epd-7in5-bw') ?? PANELS['epd-7in5-bw'];
    const { frame, warnings } = await renderSign(composeDoorSign(withRoomPatch(ctx.store.data, room.id, patch), room.id, ctx.clock.now()), panel);
    res.set('Content-Type', 'image/png');
    res.set('Cache-Control', 'no-store');
    res.set('X-Frame-Hash', frame.hash);
    res.set('X-Layout-Warnings', encodeURIComponent(JSON.stringify(warnings)));
    res.send(await frameToPng(frame));
  });

  r.patch('/:id', async (req, res) => {
    const room = ctx.store.room(req.params.id); // 404 before 400 for an unknown room
    const user = (auth(res) as Auth).user;
    assertMayEditRoom(user, room);
    const { version, ...patch } = parseBody(RoomPatchBody, req.body);
    if (patch.unitId !== undefined && patch.unitId !== room.unitId && user.role !== 'admin') {
      throw new AppError(403, 'forbidden_unit', 'only admins move a room to another unit');
    }
    if (patch.occupantIds) assertMayChangeOccupants(user, ctx.store.data, room, patch.occupantIds);
    let updated: Room;
    try {
      updated = await ctx.store.updateRoom(room.id, patch, version, user.username); // audited with the change
    } catch (err) {
      // A stale edit: answer with the version now stored, so the editor can show both side by side.
      if (err instanceof AppError && err.status === 409) res.locals.conflictCurrent = view(ctx.store.room(room.id));
      throw err;
    }
    const change = diff(room as unknown as Record<string, unknown>, updated as unknown as Record<string, unknown>);
    ctx.log.info({ room: room.id, fields: Object.keys(change.after), version: updated.version, user: user.username }, 'room updated');
    res.json(view(updated));
  });

  return r;
}
