// Runs the dlmk CLI as a user would, in a subprocess, with a wall-clock limit and a resident-memory
// limit (peak RSS polled from /proc); either kills the process and is reported, so that a test of a
// hostile input can assert "bounded time and memory" instead of hanging the suite.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CliRun {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident set size seen, MiB (polled every 50 ms). */
  peakMiB: number;
  /** Killed because it ran past timeoutMs. */
  timedOut: boolean;
  /** Killed because its RSS passed maxMiB. */
  overMemory: boolean;
}

export interface CliOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** Default 1536 MiB. */
  maxMiB?: number;
  cwd?: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
}

function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** `dlmk ARGS...` from the sources (node --import tsx cli/main.ts). */
export function runDlmk(args: readonly string[], opts: CliOptions = {}): Promise<CliRun> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const maxMiB = opts.maxMiB ?? 1536;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', `${root}cli/main.ts`, ...args], {
      cwd: opts.cwd ?? root,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0', ...opts.env },
    });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let timedOut = false;
    let overMemory = false;
    child.stdout.on('data', (c: Buffer) => void (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => void (stderr += c.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
    const poll = setInterval(() => {
      if (child.pid === undefined) return;
      peak = Math.max(peak, rssMiB(child.pid));
      if (peak > maxMiB && !overMemory) {
        overMemory = true;
        child.kill('SIGKILL');
      }
    }, 50);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      // Dawn's two lines about dynamic-offset limits are noise on every adapter request.
      stderr = stderr.replace(/^Warning: maxDynamic\w+ artificially reduced.*\n?/gm, '');
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0, peakMiB: peak, timedOut, overMemory });
    });
  });
}

/** A stack frame or a raw JS error class at the start of a line: what a user must never see. */
export const RAW_ERROR = /^\s+at .+:\d+:\d+\)?$|^(?:dlmk \w+: )?(?:TypeError|RangeError|SyntaxError|ReferenceError|Error):|Segmentation fault|Invalid typed array length|Array buffer allocation failed/m;
