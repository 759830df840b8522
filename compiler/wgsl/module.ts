// WGSL snippets as modules (the idea of use.gpu's shader linker, without renaming): each module
// names its dependencies, `link` emits each module once, dependencies first, in a deterministic
// order. Generated text depends only on the modules and the options that built them, so a
// pipeline cache keyed by the text's hash keeps hitting across runs and processes.
import { createHash } from 'node:crypto';

export interface WgslModule {
  /** Unique name; two modules with the same name must have the same code. */
  readonly name: string;
  readonly code: string;
  readonly deps?: readonly WgslModule[];
  /** `enable` directives the module needs (e.g. 'subgroups'); hoisted to the top. */
  readonly enables?: readonly string[];
}

export function wgslModule(name: string, code: string, deps: readonly WgslModule[] = [], enables: readonly string[] = []): WgslModule {
  return { name, code: code.trim(), deps, enables };
}

/** Emits the modules and their dependencies once each, dependencies first. */
export function link(...roots: WgslModule[]): string {
  const seen = new Map<string, WgslModule>();
  const order: WgslModule[] = [];
  const enables = new Set<string>();
  const visit = (m: WgslModule, path: string[]) => {
    const prior = seen.get(m.name);
    if (prior) {
      if (prior.code !== m.code) throw new Error(`WGSL module '${m.name}' is defined twice with different code`);
      return;
    }
    if (path.includes(m.name)) throw new Error(`WGSL modules form a cycle: ${[...path, m.name].join(' -> ')}`);
    for (const d of m.deps ?? []) visit(d, [...path, m.name]);
    seen.set(m.name, m);
    order.push(m);
    for (const e of m.enables ?? []) enables.add(e);
  };
  for (const r of roots) visit(r, []);
  const head = [...enables].sort().map((e) => `enable ${e};`);
  return [...head, ...order.map((m) => `// ---- ${m.name}\n${m.code}`)].join('\n\n') + '\n';
}

/** A compute program ready for a pipeline cache: `key` identifies the text. */
export interface WgslProgram {
  readonly key: string;
  readonly code: string;
  readonly entryPoint: string;
  /** Workgroup shape the entry point was generated for. */
  readonly workgroup: readonly [number, number, number];
}

/** Links `roots` into a program whose key is `kind` plus a hash of the text. */
export function program(kind: string, workgroup: readonly [number, number?, number?], ...roots: WgslModule[]): WgslProgram {
  const code = link(...roots);
  // A helper called but not linked (e.g. dlmk_log1p without the math module) would otherwise surface
  // as a raw shader-compiler error when the pipeline is built; refuse it here, by name.
  const defined = new Set([...code.matchAll(/\bfn\s+(dlmk_\w+)/g)].map((m) => m[1]));
  for (const m of code.matchAll(/\b(dlmk_\w+)\s*\(/g)) {
    if (!defined.has(m[1]!)) throw new Error(`internal error: the WGSL program '${kind}' calls ${m[1]}, which none of its modules defines`);
  }
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return { key: `dlmk/kernel/${kind}/${hash}`, code, entryPoint: 'main', workgroup: [workgroup[0], workgroup[1] ?? 1, workgroup[2] ?? 1] };
}
