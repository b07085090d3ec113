// The real `wegweiser` command in its own process, for tests: exit code and output, never a throw.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/wegweiser.js ARGS` (JSON logs), bounded by `timeoutMs`. */
export async function wegweiser(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  try {
    const r = await run(process.execPath, ['bin/wegweiser.js', ...args], { timeout: opts.timeoutMs ?? 30_000, env: { ...process.env, WEGWEISER_LOG_FORMAT: 'json', ...opts.env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
