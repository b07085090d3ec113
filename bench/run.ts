// `npm run bench`: every scenario, printed as Markdown with ratios against a baseline measured in the same run.
// Options: --quick (fewer iterations), --only NAME. Bounded: each scenario runs a fixed number of iterations.
import os from 'node:os';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configureFonts } from '../renderer/fonts/fonts.js';
import { benchRender, printRender } from './render.js';
import { benchBytes, printBytes } from './bytes.js';
import { benchRoute, printRoute } from './route.js';
import { benchSearch, printSearch } from './search.js';

const { values } = parseArgs({ options: { quick: { type: 'boolean' }, only: { type: 'string' } } });
const iterations = values.quick ? 15 : 60;
configureFonts();

const chromium = existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : null;
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const out: string[] = [
  `# Wegweiser bench — ${new Date().toISOString().slice(0, 10)}`,
  '',
  `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${iterations} iterations per path.`,
  '',
];
if (!values.only || values.only === 'render') out.push(...printRender(await benchRender({ iterations, chromium })), '');
if (!values.only || values.only === 'bytes') out.push(...printBytes(await benchBytes()), '');
if (!values.only || values.only === 'route') out.push(...printRoute(benchRoute(values.quick ? 300 : 2000)), '');
if (!values.only || values.only === 'search') out.push(...printSearch(benchSearch(values.quick ? 10 : 40)), '');
process.stdout.write(out.join('\n') + '\n');
