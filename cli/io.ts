// Small helpers the CLI commands share: reading a file and creating an output folder with a
// one-paragraph error, and the `--set name=value` overrides of kernel parameters.
import { mkdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UsageError } from './command.ts';
import { MAX_JSON_BYTES, MAX_KERNEL_BYTES } from '../compiler/limits.ts';

/** The text of a file, or a one-paragraph error that names the path. */
export function readText(path: string): string {
  // Bounded before it is read: a .kernel file by MAX_KERNEL_BYTES, anything else (JSON) by MAX_JSON_BYTES.
  const max = path.toLowerCase().endsWith('.kernel') ? MAX_KERNEL_BYTES : MAX_JSON_BYTES;
  try {
    const size = statSync(path).size;
    if (size > max) {
      throw new UsageError(`'${path}' is ${(size / 2 ** 20).toFixed(1)} MiB, over the ${max / 2 ** 20} MiB limit for ${max === MAX_KERNEL_BYTES ? 'a .kernel file' : 'a spec file'} (compiler/limits.ts, docs/limits.md)`, 1);
    }
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new UsageError(`cannot read '${path}': ${why}`, 1);
  }
}

/** `--set name=value` (repeatable, the last one of a name wins) as the compiler's params overrides. */
export function parseSets(raw: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of raw ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(kv);
    if (!m) throw new UsageError(`--set takes name=value, as in --set gamma=0.8; got '${kv}'`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

/** The `--set` option as commands declare it (cli/options.ts). */
export const SET_OPTION = { type: 'string', multiple: true, placeholder: 'NAME=VALUE', description: "override a kernel parameter's value, e.g. --set gamma=0.8" } as const;

/**
 * Creates `dir` and its missing parents one level at a time (not fs.mkdirSync's `recursive`, which
 * loops forever under /proc, where mkdir answers ENOENT for a parent that exists), or throws a
 * one-paragraph UsageError naming the folder and why. With `probe`, the levels it created are
 * removed again: the check that the folder can exist, made before any work, leaving no trace.
 */
export function makeDir(dir: string, what = 'the output folder', o: { probe?: boolean } = {}): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(p);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isDirectory()) throw new UsageError(`cannot create ${what} '${dir}': '${p}' is not a folder`, 1);
      break;
    }
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  const made: string[] = [];
  try {
    for (const m of missing.reverse()) {
      try {
        mkdirSync(m);
        made.push(m);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') continue;
        const why = code === 'ENOENT' ? 'the system does not allow a folder there' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : (err as Error).message;
        throw new UsageError(`cannot create ${what} '${dir}': ${why}`, 1);
      }
    }
  } finally {
    if (o.probe) for (const m of made.reverse()) rmdirSync(m);
  }
}
