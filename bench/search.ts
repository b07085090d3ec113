// Scenario "search": visitor search latency over 10,000 generated entries (services with German and English names
// and synonyms, people, rooms), with the queries visitors type: exact, with a typo, a prefix, umlauts written out,
// English. Baseline in the same run: a plain scan of every entry for the folded words as substrings (what a
// substring-only room finder does), which finds neither typos nor best matches first.
import { SearchIndex, fold, tokenize, type SearchEntry } from '../controller/wayfinding/search.js';
import { seededRandom } from '../firmware-sim/faults.js';
import { percentile } from './stats.js';

const DE_STEMS = ['Aufenthalt', 'Einbürgerung', 'Verlängerung', 'Beschäftigung', 'Niederlassung', 'Familiennachzug', 'Fiktionsbescheinigung', 'Verpflichtungserklärung', 'Wohnsitz', 'Gewerbe', 'Führerschein', 'Parkausweis', 'Hundesteuer', 'Baugenehmigung', 'Eheschließung', 'Geburtsurkunde', 'Sterbeurkunde', 'Reisepass', 'Personalausweis', 'Meldebescheinigung', 'Wohngeld', 'Elterngeld', 'Kindergeld', 'Grundsteuer', 'Sondernutzung', 'Straßenreinigung', 'Müllabfuhr', 'Gaststättenerlaubnis', 'Fischereischein', 'Waffenschein'];
const DE_SUFFIX = ['beantragen', 'verlängern', 'abholen', 'ändern', 'Auskunft', 'Beratung', 'Bescheinigung', 'Antrag', 'Ersatz', 'Abmeldung'];
const EN_STEMS = ['residence', 'naturalisation', 'extension', 'employment', 'settlement', 'family reunion', 'certificate', 'sponsorship', 'address', 'business', 'driving licence', 'parking permit', 'dog tax', 'building permit', 'marriage', 'birth certificate', 'death certificate', 'passport', 'identity card', 'registration', 'housing benefit', 'parental allowance', 'child benefit', 'property tax', 'street use', 'street cleaning', 'waste collection', 'restaurant licence', 'fishing licence', 'gun licence'];
const EN_SUFFIX = ['apply', 'extend', 'collect', 'change', 'information', 'advice', 'certificate', 'application', 'replacement', 'deregistration'];
const FIRST = ['Sabine', 'Thomas', 'Jana', 'Ayşe', 'Jürgen', 'Minh', 'Claudia', 'Frank', 'Katrin', 'Andreas', 'Nicole', 'Stefan', 'Birgit', 'Piotr', 'Martina', 'Lars', 'Emre', 'Ute', 'Felix', 'Lena', 'Jonas', 'Olena', 'Sven', 'Rania', 'Heike', 'Michael', 'Björn', 'Małgorzata', 'Søren', 'Zoë'];
const LAST = ['Müller', 'Krause', 'Schäfer', 'Özdemir', 'Weiß', 'Nguyen', 'Becker', 'Hoffmann', 'Schulz', 'Koch', 'Richter', 'Wolf', 'Groß', 'Kowalski', 'Schröder', 'Neumann', 'Yılmaz', 'Schwarz', 'Zimmermann', 'Braun', 'Hartmann', 'Petrova', 'Lange', 'Haddad', 'Werner', 'Fischer', 'Straßburger', 'Böhm', 'Jäger', 'Köhler'];

export function generatedEntries(n = 10_000, seed = 11): SearchEntry[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const out: SearchEntry[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = i % 10;
    if (k < 3) {
      const s = Math.floor(rnd() * DE_STEMS.length);
      const x = Math.floor(rnd() * DE_SUFFIX.length);
      out.push({ key: `service:s${i}`, kind: 'service', id: `s${i}`, primary: `${DE_STEMS[s]} ${DE_SUFFIX[x]} ${EN_STEMS[s]} ${EN_SUFFIX[x]}`, secondary: `${pick(DE_STEMS)} ${pick(EN_STEMS)}`, extra: '' });
    } else if (k < 8) {
      out.push({ key: `person:p${i}`, kind: 'person', id: `p${i}`, primary: `${pick(FIRST)} ${pick(LAST)}-${pick(LAST)}`, secondary: '', extra: `Sachbearbeitung ${pick(DE_STEMS)}` });
    } else {
      out.push({ key: `room:r${i}`, kind: 'room', id: `r${i}`, primary: `${Math.floor(i / 100)}.${String(i % 100).padStart(2, '0')}`, secondary: `${pick(DE_STEMS)} ${pick(['A–K', 'L–Z', 'Team', 'Service'])}`, extra: '' });
    }
  }
  return out;
}

const QUERIES = [
  'Aufenthalt verlängern',
  'aufenthalt verlaengern',
  'Aufenthlat verlängern',
  'Einbürgerung',
  'Einbuergerung beantragen',
  'einburgerung',
  'residence extend',
  'driving licence',
  'passport collect',
  'Müller',
  'Mueller',
  'Muller',
  'Strassburger',
  'Özdemir',
  'Ozdemir',
  'Yilmaz',
  'Führerschein',
  'Fuhrerschien',
  'Wohngeld Antrag',
  'parental allowance',
  'Meldebesch',
  'Geburtsurk',
  '12.48',
  '3.08',
  'Gaststättenerlaubnis',
  'Hundesteuer abmelden',
  'Sabine',
  'Kowalski Böhm',
  'xqzvw',
  'identity card replacement',
];

export interface SearchBench {
  entries: number;
  build: number;
  ours: { p50: number; p95: number; found: number };
  scan: { p50: number; p95: number; found: number };
}

export function benchSearch(rounds = 40): SearchBench {
  const entries = generatedEntries();
  const t0 = performance.now();
  const index = new SearchIndex(entries);
  const build = performance.now() - t0;
  // The baseline: every entry's folded text, scanned for every folded query word.
  const haystack = entries.map((e) => fold(`${e.primary} ${e.secondary} ${e.extra}`));
  const scan = (q: string) => {
    const words = tokenize(q).map(fold);
    const hits: number[] = [];
    for (let i = 0; i < haystack.length; i++) if (words.every((w) => (haystack[i] as string).includes(w))) hits.push(i);
    return hits.slice(0, 10);
  };
  const measure = (fn: (q: string) => unknown[]) => {
    for (const q of QUERIES) fn(q); // warm-up
    const samples: number[] = [];
    let found = 0;
    for (let r = 0; r < rounds; r++) {
      for (const q of QUERIES) {
        const t = performance.now();
        const hits = fn(q);
        samples.push(performance.now() - t);
        if (r === 0 && hits.length) found++;
      }
    }
    samples.sort((a, b) => a - b);
    return { p50: percentile(samples, 50), p95: percentile(samples, 95), found };
  };
  return { entries: entries.length, build, ours: measure((q) => index.search(q, 10)), scan: measure(scan) };
}

export function printSearch(r: SearchBench): string[] {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  return [
    `## search: ${r.entries.toLocaleString('en-US')} entries (services DE/EN, people, rooms), ${QUERIES.length} visitor queries`,
    '',
    '| method | p50 | p95 | queries with a result |',
    '|---|---|---|---|',
    `| ours (MiniSearch: folding, prefixes, typos, ranked) | ${ms(r.ours.p50)} | ${ms(r.ours.p95)} | ${r.ours.found} / ${QUERIES.length} |`,
    `| baseline: substring scan of every entry | ${ms(r.scan.p50)} | ${ms(r.scan.p95)} | ${r.scan.found} / ${QUERIES.length} |`,
    '',
    `Index built in ${r.build.toFixed(0)} ms. Ours / baseline at p95: ${(r.ours.p95 / r.scan.p95).toFixed(2)}×. Target p95 ≤ 2 ms: ${r.ours.p95 <= 2 ? 'met' : 'not met'}.`,
  ];
}
