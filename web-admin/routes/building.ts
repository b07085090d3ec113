// The building model for staff: plans, walk graph and closures. Admins replace the graph (refused, naming the room,
// when it would cut a room off); admins and editors close and reopen places (a lift out of order) — routes follow at once.
// Shared ways (lifts, stairs, corridors) are anyone's to report; a room's own door (or a way ending at it) is its
// unit's: closing it cuts that room off for visitors, so it needs the right to edit that room.
import { Router } from 'express';
import { z } from 'zod';
import { Id } from '../../controller/domain/model.js';
import { checkGraph } from '../../controller/wayfinding/graph.js';
import { invalid, type FieldIssue } from '../../controller/errors.js';
import { assertMayEditRoom, auth, requireRole, type Auth } from '../auth.js';
import type { Data } from '../../controller/domain/model.js';
import type { WebDeps } from '../services.js';
import { FloorPlanBody, parseBody, userText, WalkGraphBody } from '../validation.js';

export const BuildingBody = z.strictObject({
  graph: WalkGraphBody,
  plans: z.array(FloorPlanBody).max(200).optional(),
});

export const NewClosure = z.strictObject({
  id: Id.describe('a walk-graph node or edge, e.g. a lift'),
  reason: userText(200),
});

/** The rooms whose door is this node, or an end of this edge. */
export function roomsBehind(d: Readonly<Data>, placeId: string): string[] {
  const edge = d.graph.edges.find((e) => e.id === placeId);
  const nodeIds = edge ? [edge.a, edge.b] : [placeId];
  return d.graph.nodes.filter((n) => nodeIds.includes(n.id) && n.kind === 'door' && n.roomId).map((n) => n.roomId as string);
}

export function buildingRouter({ ctx }: WebDeps): Router {
  const r = Router();
  const assertMayClose = (a: Auth, placeId: string) => {
    for (const id of roomsBehind(ctx.store.data, placeId)) {
      const room = ctx.store.data.rooms.find((x) => x.id === id);
      if (room) assertMayEditRoom(a.user, room);
    }
  };
  r.get('/', (_req, res) => {
    const d = ctx.store.data;
    res.json({ plans: d.plans, graph: d.graph, closures: d.closures });
  });

  r.put('/', requireRole('admin'), async (req, res) => {
    const a = auth(res) as Auth;
    const body = parseBody(BuildingBody, req.body);
    const d = ctx.store.data;
    // The graph's own checks first, with messages that name rooms by number.
    const numbers = new Map(d.rooms.map((x) => [x.id, x.number]));
    const issues: FieldIssue[] = checkGraph(body.graph, numbers).map((i) => ({ field: `graph.${i.path}`, message: i.message }));
    const floors = new Set(d.floors.map((f) => f.id));
    body.graph.nodes.forEach((n, i) => {
      if (!floors.has(n.floorId)) issues.push({ field: `graph.nodes.${i}.floorId`, message: `unknown floor "${n.floorId}"` });
    });
    if (body.graph.nodes.length) {
      const withDoor = new Set(body.graph.nodes.filter((n) => n.kind === 'door').map((n) => n.roomId));
      for (const room of d.rooms) if (!withDoor.has(room.id)) issues.push({ field: 'graph.nodes', message: `room ${room.number} has no door in the walk graph` });
      const ids = new Set(body.graph.nodes.map((n) => n.id));
      d.displays.forEach((x) => {
        if (x.nodeId && !ids.has(x.nodeId)) issues.push({ field: 'graph.nodes', message: `display "${x.id}" hangs at node "${x.nodeId}", which this graph lacks` });
      });
    }
    if (issues.length) throw invalid(issues);
    await ctx.store.setBuilding(body.graph, body.plans, a.user.username); // audited with the change
    res.json({ plans: ctx.store.data.plans, graph: ctx.store.data.graph, closures: ctx.store.data.closures });
  });

  r.post('/closures', requireRole('admin', 'editor'), async (req, res) => {
    const a = auth(res) as Auth;
    const body = parseBody(NewClosure, req.body);
    const g = ctx.store.data.graph;
    if (!g.nodes.some((n) => n.id === body.id) && !g.edges.some((e) => e.id === body.id)) throw invalid([{ field: 'id', message: `unknown node or edge "${body.id}"` }]);
    assertMayClose(a, body.id);
    const c = await ctx.store.addClosure({ ...body, createdBy: a.user.username, createdAt: new Date(ctx.clock.now()).toISOString() }, a.user.username);
    res.status(201).json(c);
  });

  r.delete('/closures/:id', requireRole('admin', 'editor'), async (req, res) => {
    const a = auth(res) as Auth;
    assertMayClose(a, String(req.params.id));
    await ctx.store.removeClosure(String(req.params.id), a.user.username);
    res.status(204).end();
  });
  return r;
}
