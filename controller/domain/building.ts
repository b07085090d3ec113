// The building's plans: per floor an outline and areas (rooms, corridors, stairs, lifts …) in metres, for drawing
// routes; the walk graph itself lives in wayfinding/graph.ts. Closures mark nodes or edges out of use for a while.
import { z } from 'zod';
import { Id } from './ids.js';

/**
 * The largest floor plan accepted from staff (metres per side): every real office building fits (the Pentagon's
 * outer ring is about 430 m), and the stored model keeps its older, looser bound so existing files still load.
 */
export const PLAN_MAX_METRES = 500;

export const Point = z.tuple([z.number().min(0).max(2000), z.number().min(0).max(2000)]);

export const PlanArea = z.strictObject({
  kind: z.enum(['room', 'corridor', 'stairs', 'lift', 'wc', 'other']),
  /** for a room: which one (its number is drawn from the room record) */
  roomId: Id.nullable().default(null),
  /** drawn inside the area when there is no room (e.g. "WC") */
  label: z.string().max(40).default(''),
  points: z.array(Point).min(3).max(200),
});

export const FloorPlan = z.strictObject({
  floorId: Id,
  /** extent in metres; the outline and areas lie within */
  width: z.number().positive().max(2000),
  height: z.number().positive().max(2000),
  outline: z.array(Point).min(3).max(500),
  areas: z.array(PlanArea).max(2000),
});

export const Closure = z.strictObject({
  /** a walk-graph node or edge (a lift, a corridor) */
  id: Id,
  reason: z.string().max(200),
  createdBy: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
});

export type Point = z.infer<typeof Point>;
export type PlanArea = z.infer<typeof PlanArea>;
export type FloorPlan = z.infer<typeof FloorPlan>;
export type Closure = z.infer<typeof Closure>;
