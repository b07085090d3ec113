// The C device library in firmware/: is its toolchain here (cc, clang with libFuzzer, make, pkg-config, zlib, mbedTLS,
// libmosquitto — .ci/run installs them), building it, and running its Linux display as a process whose event log
// (stdout, one `event=<name> key=value …` line per event) tests can wait on.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIRMWARE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../firmware');
export const DEBIAN_PACKAGES = 'gcc clang make pkg-config libmbedtls-dev zlib1g-dev libmosquitto-dev libclang-rt-14-dev';

let found: string[] | null = null;

/** What of the C toolchain is missing here (empty: everything is installed). Checked once, by trying it. */
export function missingCToolchain(): string[] {
  if (found) return found;
  const missing: string[] = [];
  const sh = (cmd: string, input = '') => spawnSync('sh', ['-c', cmd], { input, stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 }).status === 0;
  for (const tool of ['cc', 'clang', 'make', 'pkg-config']) if (!sh(`command -v ${tool}`)) missing.push(tool);
  for (const [header, pkg] of [['zlib.h', 'zlib1g-dev'], ['mbedtls/sha256.h', 'libmbedtls-dev'], ['mosquitto.h', 'libmosquitto-dev']] as const) {
    if (!missing.includes('cc') && !sh('cc -E -x c - -o /dev/null', `#include <${header}>\n`)) missing.push(pkg);
  }
  if (!missing.includes('clang')) {
    const dir = mkdtempSync(path.join(tmpdir(), 'wegweiser-fuzz-check-'));
    try {
      writeFileSync(path.join(dir, 'f.c'), 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n');
      if (!sh(`clang -fsanitize=fuzzer ${path.join(dir, 'f.c')} -o ${path.join(dir, 'f')}`)) missing.push('libclang-rt-14-dev (libFuzzer)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  found = missing;
  return missing;
}

/**
 * Whether the C firmware tests run: always in CI (where a missing package is an error the tests report), elsewhere
 * only with the toolchain installed (else skipped with a note).
 */
export function needsCToolchain(what: string): boolean {
  const missing = missingCToolchain();
  if (missing.length === 0 || process.env.CI) return true;
  console.warn(`skipping ${what}: ${missing.join(', ')} not installed (run .ci/run or apt-get install ${DEBIAN_PACKAGES})`);
  return false;
}

export interface MakeResult {
  status: number | null;
  output: string;
}

/** Runs make in firmware/ (bounded by timeoutMs); the output is stdout and stderr interleaved. */
export function make(args: string[], timeoutMs: number): Promise<MakeResult> {
  const missing = missingCToolchain();
  if (missing.length) {
    return Promise.reject(new Error(`the C toolchain is incomplete: ${missing.join(', ')} missing (.ci/run installs ${DEBIAN_PACKAGES})`));
  }
  return new Promise((resolve, reject) => {
    const child = spawn('make', ['-C', FIRMWARE_DIR, '--no-print-directory', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`make ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** Builds the Linux display into its own build directory (so parallel test files never race on one) and returns it. */
export async function buildCDisplay(buildDir: string): Promise<string> {
  const target = path.join(buildDir, 'wegweiser-display');
  const r = await make([`BUILD=${buildDir}`, target], 240_000);
  if (r.status !== 0) throw new Error(`building the C display failed:\n${r.output.slice(-4000)}`);
  return target;
}

export interface CDisplayEvent {
  name: string;
  fields: Record<string, string>;
  /** the whole line after `event=<name> ` (a device message's JSON, for hello/checkin/ack/nak) */
  rest: string;
}

/** A running wegweiser-display process. */
export class CDisplayProcess {
  readonly events: CDisplayEvent[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  private exited: number | null = null;
  private readonly child: ChildProcess;

  constructor(binary: string, readonly args: string[], readonly label: string) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0:verify_asan_link_order=0' } });
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
    });
    this.child.once('exit', (code) => {
      this.exited = code ?? -1;
      for (const w of this.waiters) w();
    });
  }

  private onLine(line: string): void {
    const m = /^event=(\S+) ?(.*)$/.exec(line);
    if (!m) return;
    const rest = m[2] ?? '';
    const fields: Record<string, string> = {};
    for (const f of rest.matchAll(/(\w+)=(\S+)/g)) fields[f[1] as string] = f[2] as string;
    this.events.push({ name: m[1] as string, fields, rest });
    for (const w of this.waiters) w();
  }

  get running(): boolean {
    return this.exited === null;
  }

  /** its process id (signals: SIGUSR1 quiets the link's faults, SIGUSR2 brings them back) */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** What the process wrote on stderr (sanitizer reports, start-up errors), for failure messages. */
  get errors(): string {
    return this.stderr;
  }

  count(name: string, pred: (e: CDisplayEvent) => boolean = () => true): number {
    return this.events.filter((e) => e.name === name && pred(e)).length;
  }

  /** Resolves with the first event from index `from` on that matches; bounded by timeoutMs. */
  waitFor(name: string, pred: (e: CDisplayEvent) => boolean = () => true, timeoutMs = 15_000, from = 0): Promise<CDisplayEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const e = this.events.slice(from).find((x) => x.name === name && pred(x));
        if (e) {
          done();
          resolve(e);
        } else if (this.exited !== null) {
          done();
          reject(new Error(`${this.label} exited (${this.exited}) before event ${name}:\n${this.stderr.slice(-3000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        const tail = this.events.slice(-15).map((e) => `${e.name} ${e.rest.slice(0, 160)}`).join('\n');
        reject(new Error(`${this.label}: no event ${name} within ${timeoutMs} ms; last events:\n${tail}\n${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** SIGTERM (it says "offline" and exits), SIGKILL after 5 s; resolves with its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number> {
    if (this.exited !== null) return this.exited;
    const gone = new Promise<void>((r) => this.waiters.add(() => this.exited !== null && r()));
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
    return this.exited ?? -1;
  }
}
