// The C device library's RAM/flash figures, as Markdown for docs/benchmarks.md (`make -C firmware footprint`):
// - flash: `size` of the library's objects (-Os) and of the zlib/mbedTLS objects it links (as Debian builds them);
// - RAM: `size` (bss) of tools/footprint_panel.c per panel class — the library's device, the frame buffers, one
//   chunk, one message — for 3 and 2 frame buffers and maxChunk 128 and 4096;
// - stack per entry point: the worst path through the library's own functions from -fstack-usage/-fcallgraph-info
//   (GCC's .su/.ci files), and the stack measured on a painted stack with zlib and mbedTLS included (stack-probe).
// Usage: node bin/run-ts.js firmware/tools/footprint.ts BUILD_DIR
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const build = process.argv[2] ?? 'build';

interface Size {
  text: number;
  data: number;
  bss: number;
}

function size(files: string[]): Map<string, Size> {
  const out = execFileSync('size', files, { encoding: 'utf8' });
  const rows = new Map<string, Size>();
  for (const line of out.trim().split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [text, data, bss] = [Number(f[0]), Number(f[1]), Number(f[2])];
    rows.set(path.basename(f[5] ?? ''), { text, data, bss });
  }
  return rows;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const objs = (dir: string, ext: string) =>
  readdirSync(path.join(build, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(build, dir, f));

// ---- static stack: the call graph GCC wrote --------------------------------------------------------------------
interface Node {
  frame: number | null;
  callees: Set<string>;
}
const graph = new Map<string, Node>();
for (const ci of objs('lib', '.ci')) {
  const text = readFileSync(ci, 'utf8');
  for (const m of text.matchAll(/node: \{ title: "([^"]+)" label: "[^"]*?(?:\\n(\d+) bytes \(([^)]*)\))?"/g)) {
    const name = m[1] as string;
    const node = graph.get(name) ?? { frame: null, callees: new Set<string>() };
    if (m[2] !== undefined) node.frame = Number(m[2]);
    graph.set(name, node);
  }
  for (const m of text.matchAll(/edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"/g)) {
    graph.get(m[1] as string)?.callees.add(m[2] as string);
  }
}
// GCC names local clones "fn.constprop.0" and the like; a call to one is a call to that clone's node.
function worst(name: string, seen: Set<string>, external: Set<string>): number {
  const node = graph.get(name);
  if (!node || node.frame === null) {
    external.add(name.replace(/\..*$/, ''));
    return 0;
  }
  if (seen.has(name)) throw new Error(`recursion through ${name}`);
  seen.add(name);
  let deepest = 0;
  for (const c of node.callees) deepest = Math.max(deepest, worst(c, seen, external));
  seen.delete(name);
  return node.frame + deepest;
}

// ---- measured stack and RAM ----------------------------------------------------------------------------------------
const probe = execFileSync(path.join(build, 'stack-probe'), { encoding: 'utf8' });
const measured = new Map<string, number>();
const arena = new Map<string, number>();
for (const line of probe.split('\n')) {
  const s = /^stack (\S+) (\S+) (\d+)$/.exec(line);
  if (s) measured.set(`${s[1]} ${s[2]}`, Math.max(measured.get(`${s[1]} ${s[2]}`) ?? 0, Number(s[3])));
  const a = /^arena (\S+) (\d+)$/.exec(line);
  if (a) arena.set(a[1] as string, Number(a[2]));
}
const deviceBytes = Number(/sizeof wgw_device (\d+)/.exec(probe)?.[1] ?? NaN);

const lib = size(objs('lib', '.o'));
const deps = size(objs('deps', '.o'));
const panel = size(objs('footprint', '.o'));
const sum = (m: Map<string, Size>, k: keyof Size) => [...m.values()].reduce((n, s) => n + s[k], 0);

const cc = execFileSync('cc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const out: string[] = [];
out.push(
  `${new Date().toISOString().slice(0, 10)} — ${os.arch()}, ${cc}, library -Os; zlib ${execFileSync('sh', ['-c', "dpkg-query -W -f='${Version}' zlib1g-dev 2>/dev/null || echo ?"], { encoding: 'utf8' })}, mbedTLS ${execFileSync('sh', ['-c', "dpkg-query -W -f='${Version}' libmbedtls-dev 2>/dev/null || echo ?"], { encoding: 'utf8' })} (Debian's builds, -O2).`,
  '',
  '**Flash** (`size`, bytes):',
  '',
  '| object | text | data | bss |',
  '|---|---:|---:|---:|',
);
for (const [name, s] of lib) out.push(`| ${name} | ${fmt(s.text)} | ${fmt(s.data)} | ${fmt(s.bss)} |`);
out.push(`| **the library** | **${fmt(sum(lib, 'text'))}** | ${fmt(sum(lib, 'data'))} | ${fmt(sum(lib, 'bss'))} |`);
out.push(`| zlib inflate + CRC-32 (${[...deps.keys()].filter((k) => !k.includes('.c.')).join(', ')}) | ${fmt([...deps].filter(([k]) => !k.includes('.c.')).reduce((n, [, s]) => n + s.text, 0))} | | |`);
out.push(`| mbedTLS SHA-256 (${[...deps.keys()].filter((k) => k.includes('.c.')).join(', ')}) | ${fmt([...deps].filter(([k]) => k.includes('.c.')).reduce((n, [, s]) => n + s.text, 0))} | | |`);
out.push(`| **total code** | **${fmt(sum(lib, 'text') + sum(deps, 'text'))}** | | |`);
out.push(
  '',
  `**RAM** besides the stack (\`size\` of \`tools/footprint_panel.c\`: bss). \`wgw_device\` is ${fmt(deviceBytes)} B, of which zlib's arena ${fmt(Number(/sizeof inflate_arena (\d+)/.exec(probe)?.[1]))} B (zlib used ${fmt(arena.get('bw') ?? NaN)} B of it: its inflate state and the 4 KB window); a device message buffer of 512 B:`,
  '',
  '| panel class | frame buffers | maxChunk | RAM |',
  '|---|---:|---:|---:|',
);
for (const [name, s] of [...panel].sort()) {
  const [cls, slots, chunk] = name.replace(/\.o$/, '').split('-');
  out.push(`| 800×480 ${cls === 'bwr' ? 'b/w/r' : 'b/w'} | ${slots} | ${fmt(Number(chunk))} | ${fmt(s.bss + s.data)} |`);
}
const entries = ['wgw_init', 'wgw_feed', 'wgw_poll', 'wgw_msg_hello', 'wgw_msg_checkin', 'wgw_msg_telemetry', 'wgw_msg_ack', 'wgw_msg_nak', 'wgw_control_verify', 'wgw_mqtt_password'];
out.push(
  '',
  '**Stack** per entry point, bytes: the deepest path through the library\'s own functions (`-fstack-usage` frames along `-fcallgraph-info`\'s call graph; zlib, mbedTLS, libc and the hooks counted as 0), and the most measured on a painted stack with everything it calls (`tools/stack_probe.c`: full frame, XOR and region delta, retransmission, frame for later at MTU 4096, the held frame shown at its second; 3 frame buffers and 1; the hooks as the tests\' in-memory flash):',
  '',
  '| entry point | static (library only) | measured b/w | measured b/w/r | calls outside the library |',
  '|---|---:|---:|---:|---|',
);
for (const e of entries) {
  const external = new Set<string>();
  const s = worst(e, new Set(), external);
  const ext = [...external].filter((x) => !/^__|^mem|^str/.test(x)).sort();
  out.push(`| \`${e}\` | ${fmt(s)} | ${fmt(measured.get(`${e} bw`) ?? NaN)} | ${fmt(measured.get(`${e} bwr`) ?? NaN)} | ${ext.join(', ')} |`);
}
process.stdout.write(out.join('\n') + '\n');
