// dlmk inspect KERNEL --vocab N --t T --x0 I [...] --json: every kernel quantity for one position
// (row, column, posterior, reverse step, reverse rates, ELBO integrand and gradient, prior), on the
// GPU or, with --reference, by the float64 reference. docs/inspect.md documents the JSON.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { compileKernel, formatDiagnostics, KernelCheckError, KernelSyntaxError } from '../../compiler/index.ts';
import { loadKernelSpecFile } from '../../specs/kernel-check.ts';
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { loadEmbeddings, parseNpy, type Embeddings } from '../../runtime/data/embeddings.ts';
import { parseSets, readText, SET_OPTION } from '../io.ts';
import { parseCommand, usageOf, type CommandDecl } from '../options.ts';
import { MAX_HOPS, MAX_VOCAB } from '../../compiler/limits.ts';
import { dirname, isAbsolute, join } from 'node:path';
import { mulberry32 } from '../../runtime/data/random.ts';
import { loadGraphFile } from '../../runtime/kernel/graph.ts';
import { normaliseLaw } from '../../runtime/kernel/tables/rate-tables.ts';

// Declared bounds (compiler/limits.ts, docs/limits.md): --H up to MAX_HOPS (4096, the runtime's
// ceiling on hops), --vocab up to MAX_VOCAB (2^24 tokens).

const decl = {
  name: 'inspect',
  summary: "print a kernel's row, column, posterior, reverse step and ELBO (with gradient) for one position",
  positionals: [{ name: 'KERNEL', missing: 'name one kernel (.kernel or compiled .spec.json)' }],
  options: {
    vocab: { type: 'integer', placeholder: 'N', min: 2, max: MAX_VOCAB, description: 'the number of tokens (required)' },
    embeddings: { type: 'string', placeholder: 'FILE', description: 'token vectors the graphs are built from (default: the seeded stand-in, docs/inspect.md)' },
    tensor: { type: 'string', placeholder: 'NAME', description: 'the tensor of a .safetensors embeddings file' },
    classes: { type: 'string', placeholder: '[NAME=]FILE,...', description: 'class partitions for graphs built within classes' },
    graph: { type: 'string', placeholder: 'FILE', description: 'a JSON graph {V, rowPtr, col, w} (CSR, row-stochastic) for every graph of the kernel' },
    unigram: { type: 'string', placeholder: 'FILE', description: 'the unigram law (.json array or 1-D .npy; default uniform)' },
    dist: { type: 'string', multiple: true, placeholder: '[NAME=]FILE', description: 'the law of a reset("NAME") channel (.json array or 1-D .npy; default: NAME beside the kernel, as dlmk train reads it)' },
    t: { type: 'number', placeholder: 'T', description: 'the time, in [0, 1] (required)' },
    s: { type: 'number', placeholder: 'S', description: "the reverse step's target time (default t - 1/steps)" },
    x0: { type: 'integer', placeholder: 'I', min: 0, max: MAX_VOCAB - 1, description: 'the clean token (required)' },
    xt: { type: 'integer', placeholder: 'J', min: 0, max: MAX_VOCAB, description: 'the noisy state (default x0)' },
    logits: { type: 'string', placeholder: 'FILE', description: 'the model logits (.json or .npy, V values; default all 0)' },
    rules: { type: 'boolean', description: "the reverse step from the logits after the sampler's rules" },
    tokens: { type: 'string', placeholder: 'FILE', description: 'with --rules: the current tokens (count[v])' },
    step: { type: 'integer', placeholder: 'N', min: 0, max: 2 ** 31 - 1, description: "with --rules: the sampler's step" },
    H: { type: 'integer', placeholder: 'H', min: 0, max: MAX_HOPS, description: 'the hop truncation (default: adaptive)' },
    set: SET_OPTION,
    json: { type: 'boolean', description: 'print every quantity as JSON (docs/inspect.md)' },
    reference: { type: 'boolean', description: 'compute with the float64 reference instead of the GPU' },
  },
  examples: ['dlmk inspect kernels/hybrid.kernel --vocab 32 --t 0.5 --s 0.4 --x0 3 --json'],
} as const satisfies CommandDecl;
const usage = usageOf(decl);

/** The documented stand-in embedding (docs/inspect.md): V x 16 standard normals, mulberry32 seed 0x5eed, Box-Muller, row-major. */
export function seededEmbedding(V: number, d = 16, seed = 0x5eed): Float64Array {
  const u = mulberry32(seed, { open: true });
  return Float64Array.from({ length: V * d }, () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

/** A vector of numbers from a .json array or a 1-D .npy file, of length n (any length when n < 0). */
function readVector(path: string, n: number, what: string): Float64Array {
  let xs: Float64Array;
  if (extname(path).toLowerCase() === '.npy') {
    let buf: Buffer;
    try {
      buf = readFileSync(path);
    } catch {
      throw new UsageError(`cannot read '${path}' (${what})`, 1);
    }
    // A 1-D array reads as [n, 1] once its shape is padded: accept (n,) by rewriting the header.
    const text = buf.subarray(0, Math.min(buf.length, 512)).toString('latin1').replace(/'shape'\s*:\s*\((\d+),\s*\)/, (_m, k: string) => `'shape': (${k}, 1)`);
    const fixed = Buffer.concat([Buffer.from(text, 'latin1'), buf.subarray(Math.min(buf.length, 512))]);
    xs = Float64Array.from(parseNpy(fixed, path).data);
  } else {
    let doc: unknown;
    try {
      doc = JSON.parse(readText(path));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`'${path}' (${what}) is not valid JSON: ${(err as Error).message}`, 1);
    }
    if (!Array.isArray(doc) || !doc.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new UsageError(`'${path}' (${what}) must be a JSON array of numbers`, 1);
    xs = Float64Array.from(doc as number[]);
  }
  if (n >= 0 && xs.length !== n) throw new UsageError(`'${path}' (${what}) has ${xs.length} values, the vocabulary ${n}`, 1);
  return xs;
}

/**
 * The class partitions the kernel's graphs name, from `--classes`: `FILE` when the graphs use one
 * partition, else `NAME=FILE,NAME=FILE`; each file a class id (a non-negative integer) per token,
 * as a .json array or a 1-D .npy.
 */
export function readClasses(spec: KernelSpec, arg: string | undefined, V: number): Record<string, Int32Array> {
  const names = [...new Set(spec.graphs.flatMap((g) => (g.classes === null ? [] : [g.classes])))];
  if (!names.length) {
    if (arg !== undefined) throw new UsageError(`--classes: no graph of this kernel picks neighbours within classes`);
    return {};
  }
  const files: Record<string, string> = {};
  for (const part of (arg ?? '').split(',').filter((x) => x)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(part);
    if (m) files[m[1]!] = m[2]!;
    else if (names.length === 1) files[names[0]!] = part;
    else throw new UsageError(`--classes: the kernel uses the partitions ${names.join(', ')}; give each as NAME=FILE, got '${part}'`);
  }
  for (const name of Object.keys(files)) if (!names.includes(name)) throw new UsageError(`--classes: no graph uses a partition '${name}' (the kernel's: ${names.join(', ')})`);
  const out: Record<string, Int32Array> = {};
  for (const name of names) {
    const file = files[name];
    const g = spec.graphs.find((x) => x.classes === name)!;
    if (file === undefined) throw new UsageError(`graph '${g.name}' picks neighbours within the classes '${name}': pass --classes ${names.length > 1 ? `${name}=` : ''}FILE (a class id per token, .json or .npy)`);
    const xs = readVector(file, V, `the classes '${name}'`);
    const bad = xs.findIndex((x) => !(Number.isInteger(x) && x >= 0 && x < 2 ** 31));
    if (bad >= 0) throw new UsageError(`'${file}' (the classes '${name}'): entry ${bad} is ${xs[bad]}, not a non-negative integer class id`, 1);
    out[name] = Int32Array.from(xs);
  }
  return out;
}

function loadSpec(file: string, sets: Record<string, string>): KernelSpec {
  // Bounded read, parse, schema, semantic check and checked --set (specs/kernel-check.ts).
  if (file.endsWith('.json')) return loadKernelSpecFile(file, sets);
  const text = readText(file);
  try {
    return compileKernel(text, { path: file, params: sets });
  } catch (err) {
    if (err instanceof KernelSyntaxError || err instanceof KernelCheckError) {
      throw new UsageError(`${file} does not compile:\n${formatDiagnostics((err as KernelCheckError).diagnostics, text)}`, 1);
    }
    throw err;
  }
}

const inspect: Command = {
  name: 'inspect',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options: o } = parseCommand(decl, ctx.argv);
    // Every declared bound is checked by parseCommand before anything is read or allocated.
    const required = (name: 'vocab' | 't' | 'x0', what: string): number => {
      const x = o[name];
      if (x === undefined) throw new UsageError(`--${name} is required (${what}): ${usage}`);
      return x;
    };
    const V = required('vocab', 'the number of tokens');
    const t = required('t', 'the time, in [0, 1]');
    const x0 = required('x0', 'the clean token');
    const H = o.H;
    const kernelFile = positionals[0]!;
    const spec = loadSpec(kernelFile, parseSets(o.set));
    // A Map of the string options, as the code below reads them ('--graph' -> value).
    const v = new Map<string, string>(
      (['embeddings', 'tensor', 'classes', 'graph', 'unigram', 'logits', 'tokens', 's'] as const).flatMap((k) => (o[k] === undefined ? [] : [[`--${k}`, String(o[k])] as [string, string]])),
    );
    if (o.step !== undefined) v.set('--step', String(o.step));
    const args = { flags: new Set((['json', 'reference', 'rules'] as const).filter((k) => o[k]).map((k) => `--${k}`)) };
    const S = V + (spec.hasMask ? 1 : 0);
    const notes: string[] = [];
    const steps = spec.sampler.options.steps;
    const s = o.s ?? Math.max(0, t - 1 / steps);
    if (v.get('--s') === undefined) notes.push(`--s not given: s = t - 1/steps = ${s} (steps = ${steps})`);
    let xt = o.xt;
    if (xt === undefined) {
      xt = x0;
      notes.push(`--xt not given: x_t = x0 = ${x0}`);
    }
    if (!(t >= 0 && t <= 1) || !(s >= 0 && s <= t)) throw new UsageError(`times must satisfy 0 <= s <= t <= 1, got s = ${s}, t = ${t}`);
    if (!(x0 >= 0 && x0 < V)) throw new UsageError(`--x0 ${x0} is not a token (0..${V - 1})`);
    if (!(xt >= 0 && xt < S)) throw new UsageError(`--xt ${xt} is not a state (0..${S - 1}${spec.hasMask ? `; [MASK] is ${V}` : ''})`);

    // Graphs: a file, embeddings, or the documented seeded stand-in.
    let emb: Embeddings | null = null;
    let graphFile: { V: number; rowPtr: Int32Array; col: Int32Array; w: Float64Array } | null = null;
    if (v.get('--graph') && v.get('--embeddings')) throw new UsageError('give --graph or --embeddings, not both');
    if (spec.graphs.length) {
      if (v.get('--graph')) {
        try {
          graphFile = loadGraphFile(v.get('--graph')!, V);
        } catch (err) {
          throw new UsageError((err as Error).message, 1);
        }
      } else if (v.get('--embeddings')) {
        try {
          emb = loadEmbeddings(v.get('--embeddings')!, { tensor: v.get('--tensor') });
        } catch (err) {
          throw new UsageError((err as Error).message, 1);
        }
        if (emb.V !== V) throw new UsageError(`the embeddings have ${emb.V} rows, --vocab is ${V}`, 1);
      } else {
        emb = { V, d: 16, data: seededEmbedding(V), dtype: 'float64', source: 'seeded' };
        notes.push('no --embeddings: graphs are built from the seeded stand-in embedding (V x 16 standard normals, mulberry32 seed 0x5eed; docs/inspect.md)');
      }
    }
    const classes = emb ? readClasses(spec, v.get('--classes'), V) : {};
    const needsUnigram = spec.channels.some((c) => c.operator.op === 'reset' && c.operator.dist.kind === 'unigram') || spec.schedule.kind === 'mutual_info';
    let unigram: Float64Array | undefined;
    if (v.get('--unigram')) {
      const file = v.get('--unigram')!;
      try {
        unigram = normaliseLaw(readVector(file, V, 'the unigram law'), `'${file}' (the unigram law)`);
      } catch (err) {
        if (err instanceof UsageError) throw err;
        throw new UsageError((err as Error).message, 1);
      }
    } else if (needsUnigram) {
      unigram = new Float64Array(V).fill(1 / V);
      notes.push('no --unigram: the unigram law is uniform');
    }
    let logits: Float64Array;
    if (v.get('--logits')) logits = readVector(v.get('--logits')!, V, 'the model logits');
    else {
      logits = new Float64Array(V);
      notes.push('no --logits: uniform logits (all 0)');
    }

    let rules: { tokens: number[]; step: number } | undefined;
    if (args.flags.has('--rules')) {
      const tokens = v.get('--tokens') ? Array.from(readVector(v.get('--tokens')!, -1, 'the current tokens')) : [];
      const bad = tokens.findIndex((x) => !(Number.isInteger(x) && x >= 0 && x < S));
      if (bad >= 0) throw new UsageError(`--tokens: entry ${bad} is ${tokens[bad]}, not a state (0..${S - 1})`, 1);
      rules = { tokens, step: o.step ?? 0 };
    } else if (v.get('--tokens') || v.get('--step')) throw new UsageError('--tokens and --step go with --rules');
    const dists = readDists(spec, o.dist, kernelFile, V, notes);
    const result = args.flags.has('--reference')
      ? await referenceInspect(spec, { V, emb, graphFile, classes, unigram, dists, t, s, x0, xt, H, logits, rules })
      : await gpuInspect(spec, { V, emb, graphFile, classes, unigram, dists, t, s, x0, xt, H, logits, rules });
    const out = { backend: args.flags.has('--reference') ? 'reference' : 'gpu', ...result, notes: [...notes, ...result.notes], logits: v.get('--logits') ?? 'uniform' };
    if (args.flags.has('--json')) ctx.stdout(JSON.stringify(out));
    else ctx.stdout(summary(out));
    return 0;
  },
};

/**
 * The laws of the kernel's reset("NAME") channels: from `--dist NAME=FILE` (or `--dist FILE` when
 * the kernel names one), else NAME read relative to the kernel's folder, as dlmk train reads it;
 * each a .json array or 1-D .npy of V non-negative numbers, normalised.
 */
function readDists(spec: KernelSpec, args: readonly string[] | undefined, kernelFile: string, V: number, notes: string[]): Record<string, Float64Array> {
  const names = [...new Set(spec.channels.flatMap((c) => (c.operator.op === 'reset' && c.operator.dist.kind === 'file' ? [c.operator.dist.file] : [])))];
  const files: Record<string, string> = {};
  for (const a of args ?? []) {
    const eq = a.indexOf('=');
    if (eq > 0 && names.includes(a.slice(0, eq))) files[a.slice(0, eq)] = a.slice(eq + 1);
    else if (names.length === 1) files[names[0]!] = a;
    else if (!names.length) throw new UsageError(`--dist: the kernel has no reset("FILE") channel`);
    else throw new UsageError(`--dist: the kernel resets to ${names.map((n) => `"${n}"`).join(', ')}; give each as NAME=FILE, got '${a}'`);
  }
  const out: Record<string, Float64Array> = {};
  for (const name of names) {
    let file = files[name];
    if (file === undefined) {
      file = isAbsolute(name) ? name : join(dirname(kernelFile), name);
      notes.push(`reset("${name}"): read from ${file} (--dist ${name}=FILE for another file)`);
    }
    let xs: Float64Array;
    try {
      xs = readVector(file, V, `the distribution '${name}'`);
    } catch (err) {
      if (files[name] === undefined && err instanceof UsageError && /cannot read/.test(err.message)) {
        throw new UsageError(`the kernel resets to "${name}", which is not at ${file}: pass it with --dist ${names.length > 1 ? `${name}=` : ''}FILE (V numbers, .json or .npy)`, 1);
      }
      throw err;
    }
    const z = xs.reduce((a, b) => a + b, 0);
    if (!(z > 0) || xs.some((x) => x < 0)) throw new UsageError(`the distribution '${name}' (${file}) must be non-negative with a positive sum`, 1);
    out[name] = xs.map((x) => x / z);
  }
  return out;
}

interface Inputs {
  V: number;
  emb: Embeddings | null;
  graphFile: { V: number; rowPtr: Int32Array; col: Int32Array; w: Float64Array } | null;
  /** Lexical class partitions by name (a class id per token), for graphs built `within classes`. */
  classes: Record<string, Int32Array>;
  unigram?: Float64Array;
  /** The laws of the kernel's reset("FILE") channels, by the file name the kernel gives. */
  dists: Record<string, Float64Array>;
  t: number;
  s: number;
  x0: number;
  xt: number;
  H?: number;
  logits: Float64Array;
  rules?: { tokens: number[]; step: number };
}

async function gpuInspect(spec: KernelSpec, q: Inputs) {
  const { getGpu } = await import('../../runtime/gpu/index.ts');
  const { createKernelRuntime } = await import('../../runtime/kernel/index.ts');
  const { inspectGpu } = await import('../../runtime/kernel/inspect.ts');
  const gpu = await getGpu();
  const graphs = q.graphFile ? Object.fromEntries(spec.graphs.map((g) => [g.name, q.graphFile!])) : undefined;
  const rt = await createKernelRuntime(gpu, spec, {
    V: q.V,
    graphs,
    unigram: q.unigram,
    dists: q.dists,
    classes: q.classes,
    embeddings: q.emb ? { data: q.emb.data, d: q.emb.d } : undefined,
    embeddingFiles: q.emb ? Object.fromEntries(spec.graphs.flatMap((g) => (g.source === 'embeddings' ? [] : [[g.source.file, { data: q.emb!.data, d: q.emb!.d }]]))) : undefined,
  });
  const r = await inspectGpu(rt, { t: q.t, s: q.s, x0: q.x0, xt: q.xt, logits: Float32Array.from(q.logits), H: q.H, rules: q.rules });
  const graphsInfo = rt.describe().graphs.map((g) => ({ name: g.name, hash: g.hash, nnz: g.nnz }));
  return { ...r, graphs: graphsInfo, device: gpu.description };
}

async function referenceInspect(spec: KernelSpec, q: Inputs) {
  const ref = await import('../../reference/kernel/index.ts');
  const { buildRateTables } = await import('../../runtime/kernel/tables/index.ts');
  const { KernelCoefficients, exprRates } = await import('../../runtime/kernel/coefficients.ts');
  const { kernelStructure } = await import('../../runtime/kernel/structure.ts');
  const graphs: Record<string, { V: number; rowPtr: Int32Array; col: Int32Array; w: Float64Array }> = {};
  for (const g of spec.graphs) {
    const classes = g.classes === null ? null : q.classes[g.classes]!;
    graphs[g.name] = q.graphFile ?? ref.buildKnnGraph(Float64Array.from(q.emb!.data), q.V, q.emb!.d, { k: g.k, bandwidth: g.bandwidth, symmetric: g.symmetric, classes });
  }
  const tables = spec.channels.some((c) => c.Lambda === null || c.sigma === null) ? buildRateTables(spec, { V: q.V, unigram: q.unigram, dists: q.dists, graphs }) : undefined;
  const K = ref.makeReferenceKernel(spec, { V: q.V, graphs, unigram: q.unigram, dists: q.dists, tables });
  const V = q.V;
  const S = K.S;
  const mx = Math.max(...q.logits);
  const e = q.logits.map((x) => Math.exp(x - mx));
  const z = e.reduce((a, b) => a + b, 0);
  const probs = e.map((x) => x / z);
  const onehot = new Float64Array(V);
  onehot[q.x0] = 1;
  const h = q.H === undefined ? K.hops(q.t) : { H: q.H, bound: new KernelCoefficients(kernelStructure(spec), tables ?? exprRates(kernelStructure(spec))).transition(0, q.t, q.H).bound };
  const row = Array.from(K.row(q.t, q.x0, q.H));
  const column = Array.from(K.column(q.t, q.xt, q.H));
  if (spec.hasMask) column.push(q.xt === V ? 1 : 0);
  const notes: string[] = [];
  // As the GPU path: the reverse step from the logits after the sampler's rules, when asked.
  let revProbs = probs;
  let ruled: number[] | null = null;
  if (q.rules) {
    const seq = Int32Array.from(q.rules.tokens.length ? q.rules.tokens : [q.xt]);
    const rl = ref.applyRules(spec, q.logits, seq, { t: q.t, s: q.s, step: q.rules.step, graphs });
    const m = Math.max(...rl);
    const ex = rl.map((x) => Math.exp(x - m));
    const zz = ex.reduce((a, b) => a + b, 0);
    revProbs = ex.map((x) => x / zz);
    ruled = Array.from(revProbs);
    notes.push(`the reverse step uses the logits after the sampler's rules (count[v] from ${q.rules.tokens.length ? `${q.rules.tokens.length} tokens` : 'x_t alone'}, step ${q.rules.step})`);
  }
  const mix = K.reverseMixture(revProbs, q.xt, q.t, q.s, q.H);
  let elbo: { value: number; byChannel: number[] } | null = null;
  let grad: number[] | null = null;
  if (row[q.xt]! > 0) {
    const r = K.elbo(q.logits, q.x0, q.xt, q.t, q.H);
    elbo = { value: r.value, byChannel: Array.from(r.byChannel) };
    grad = Array.from(r.grad);
  } else notes.push(`x_t = ${q.xt} has probability 0 under q_t(. | x0 = ${q.x0}): the ELBO integrand is undefined there`);
  return {
    kernel: spec.name,
    V,
    S,
    hasMask: spec.hasMask,
    t: q.t,
    s: q.s,
    x0: q.x0,
    xt: q.xt,
    H: h.H,
    truncationBound: h.bound,
    Hs: q.H ?? K.hops(q.s).H,
    Hst: q.H ?? K.hopsBetween(q.s, q.t).H,
    lambdas: Array.from(K.lambdas(q.t)),
    row,
    column,
    posterior: Array.from(K.reverseStep(onehot, q.xt, q.t, q.s, q.H)),
    reverse: Array.from(K.reverseStep(revProbs, q.xt, q.t, q.s, q.H)),
    ruled,
    mixture: { stay: mix.weights[0]!, walk: mix.weights[1]!, reset: mix.weights[2]!, unmask: mix.weights[3]! },
    rates: Array.from(K.reverseRates(probs, q.xt, q.t, q.H)),
    elbo,
    grad,
    prior: Array.from(K.prior()),
    priorKL: K.priorKL(q.x0),
    notes,
    graphs: Object.entries(graphs).map(([name, g]) => ({ name, hash: ref.graphHash(g), nnz: g.col.length })),
  };
}

function summary(o: { kernel: string; backend: string; t: number; s: number; x0: number; xt: number; H: number; truncationBound: number; row: number[]; reverse: number[]; elbo: { value: number } | null; priorKL: number; mixture: Record<string, number>; notes: string[] }): string {
  const top = (xs: number[]) =>
    xs
      .map((p, i) => [p, i] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 5)
      .map(([p, i]) => `${i}: ${p.toPrecision(4)}`)
      .join(', ');
  return [
    `${o.kernel} (${o.backend}) at t = ${o.t}, s = ${o.s}, x0 = ${o.x0}, x_t = ${o.xt}; H = ${o.H} (truncation bound ${o.truncationBound.toExponential(2)})`,
    `  row q_t(.|x0), largest: ${top(o.row)}`,
    `  reverse p(x_s|x_t), largest: ${top(o.reverse)}; mixture ${Object.entries(o.mixture).map(([k, w]) => `${k} ${w.toPrecision(3)}`).join(', ')}`,
    `  ELBO integrand: ${o.elbo ? o.elbo.value.toPrecision(6) : 'undefined'}; KL(q_1(.|x0) || p_1) = ${o.priorKL.toPrecision(6)}`,
    ...o.notes.map((n) => `  note: ${n}`),
    '  (--json prints every quantity)',
  ].join('\n');
}

export default inspect;
