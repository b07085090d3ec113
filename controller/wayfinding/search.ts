// Visitor search over services (German and English names, synonyms), people and room numbers — with typo tolerance,
// prefixes, and folding so that "Aufenthaltstitel verlaengern", "aufenthaltstitel verlängern" and "Mueller"/"Müller"
// meet. MiniSearch does the indexing and the fuzzy matching; this module decides what is indexed and how words fold.
import MiniSearch, { type SearchResult } from 'minisearch';
import type { Data } from '../domain/model.js';

export type EntryKind = 'service' | 'person' | 'room';

export interface SearchEntry {
  /** kind:id, unique across kinds */
  key: string;
  kind: EntryKind;
  id: string;
  /** the searchable text, by field */
  primary: string;
  secondary: string;
  extra: string;
}

export interface SearchHit {
  kind: EntryKind;
  id: string;
  score: number;
}

/** Folds a word for matching: lower case, no accents, ß → ss, and ä/ae, ö/oe, ü/ue made the same. */
export function fold(term: string): string {
  return term
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .replace(/æ/g, 'ae')
    .replace(/[øœ]/g, 'o')
    .replace(/ł/g, 'l')
    .replace(/ae/g, 'a')
    .replace(/oe/g, 'o')
    .replace(/ue/g, 'u');
}

/** Words: letters and digits; a dot only between digits, so that room "2.14" stays one word. */
export function tokenize(text: string): string[] {
  return text
    .split(/[^\p{L}\p{N}.]+/u)
    .flatMap((t) => t.split(/(?<!\p{N})\.|\.(?!\p{N})/u))
    .filter((t) => t.length > 0);
}

export const MAX_QUERY = 200;

export class SearchIndex {
  private readonly mini: MiniSearch<SearchEntry>;

  constructor(entries: readonly SearchEntry[]) {
    this.mini = new MiniSearch<SearchEntry>({
      idField: 'key',
      fields: ['primary', 'secondary', 'extra'],
      storeFields: ['kind', 'id'],
      tokenize,
      processTerm: (t) => fold(t) || null,
      searchOptions: {
        boost: { primary: 3, secondary: 1.5, extra: 1 },
        prefix: (term) => term.length >= 2,
        // Typos: one edit from 4 letters on, two from 8; short words and numbers must match exactly.
        fuzzy: (term) => (/^\p{N}/u.test(term) || term.length < 4 ? false : term.length < 8 ? 1 : 2),
        maxFuzzy: 2,
      },
    });
    this.mini.addAll([...entries]);
  }

  get size(): number {
    return this.mini.documentCount;
  }

  /** Best hits first. Every word must match (allowing typos); failing that, any word does. */
  search(query: string, limit = 10): SearchHit[] {
    const q = query.trim().slice(0, MAX_QUERY);
    if (!q) return [];
    let results: SearchResult[] = this.mini.search(q, { combineWith: 'AND' });
    if (results.length === 0) results = this.mini.search(q, { combineWith: 'OR' });
    return results.slice(0, limit).map((r) => ({ kind: r.kind as EntryKind, id: r.id as string, score: r.score }));
  }
}

/** What visitors can search for, from the stored data: services, people (by name), and rooms (number, name, unit). */
export function entriesFrom(data: Readonly<Data>): SearchEntry[] {
  const unitName = new Map(data.units.map((u) => [u.id, `${u.name} ${u.nameEn}`]));
  return [
    ...data.services.map((s) => ({ key: `service:${s.id}`, kind: 'service' as const, id: s.id, primary: `${s.nameDe} ${s.nameEn}`, secondary: s.synonyms.join(' '), extra: '' })),
    // By name only: a title ("Teamleiterin") would let anyone on the internet find who holds it.
    ...data.people.map((p) => ({ key: `person:${p.id}`, kind: 'person' as const, id: p.id, primary: p.name, secondary: '', extra: '' })),
    ...data.rooms.map((r) => ({ key: `room:${r.id}`, kind: 'room' as const, id: r.id, primary: r.number, secondary: r.name, extra: r.unitId ? (unitName.get(r.unitId) ?? '') : '' })),
  ];
}
