// Types of merge.js (the browser module is plain JavaScript; these let the TypeScript tests import it as it is).
export type Fields = Record<string, unknown>;
export interface DifferingField {
  field: string;
  base: unknown;
  mine: unknown;
  theirs: unknown;
  mineChanged: boolean;
  theirsChanged: boolean;
  conflict: boolean;
}
export interface Merge {
  merged: Fields;
  differing: DifferingField[];
  conflicts: string[];
}
export function same(a: unknown, b: unknown): boolean;
export function changedFields(from: Fields, next: Fields): string[];
export function mergeFields(base: Fields, mine: Fields, theirs: Fields): Merge;
export function resolveMerge(merge: Merge, choices: Record<string, 'mine' | 'theirs'>, mine: Fields): Fields;
export const DAYS: readonly string[];
export function roomFields(room: {
  name: string;
  unitId: string | null;
  officeHours: string;
  occupantIds: string[];
  serviceIds: string[];
  hours?: { day: string; from: string; to: string }[];
  notice: { text: string; redirectRoomId: string | null; from?: string | null; until?: string | null } | null;
}): Fields;
export function hoursOf(fields: Fields): { day: string; from: string; to: string }[];
export function roomPatch(fields: Fields, changed: string[]): Record<string, unknown>;
