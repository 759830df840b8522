// Sampling text from a trained run (docs/sampling.md, "From a checkpoint"): the model with its EMA
// weights (runtime/train loadRun), the kernel it was trained with, its tokenizer for prefixes,
// clamped words and decoding; the sampler block of the kernel, overridable. What `dlmk sample` and
// `sample()` run.
import type { LoadedRun } from '../train/load.ts';
import { loadRun } from '../train/load.ts';
import { SampleError } from './errors.ts';
import { sampleTokens, type StepInfo } from './sampler.ts';
import type { SamplerOverrides, SamplerSettings } from './settings.ts';
import type { Tokenizer } from '../data/index.ts';

/** The longest sequence sampled (the DiT has no fixed length; memory does). */
export const MAX_SAMPLE_LENGTH = 65536;
/** The most sequences one call samples. */
export const MAX_SAMPLES = 1 << 20;

export interface SampleOptions extends SamplerOverrides {
  /** Sequences to sample. */
  n: number;
  /** Tokens per sequence (default the run's data.length). */
  length?: number;
  seed?: number;
  /** A prefix the samples continue: text (encoded with the run's tokenizer) or ids. */
  prefix?: string | readonly number[];
  /** Clamped positions (infilling): position -> a token as text (one token) or an id. */
  clamp?: Readonly<Record<number, string | number>>;
  /** Sequences per GPU batch (default: all, at most 64). */
  batch?: number;
  /** Use the raw weights instead of the EMA (default false). */
  raw?: boolean;
  /** Return every step's sequences. */
  trace?: boolean;
  onStep?: (info: StepInfo & { batch: number; batches: number }) => void;
  log?: (line: string) => void;
}

export interface GeneratedSample {
  ids: number[];
  text: string;
}

export interface SampleRun {
  samples: GeneratedSample[];
  settings: SamplerSettings;
  /** Model calls in all, and grid steps per batch. */
  nfe: number;
  steps: number;
  seconds: number;
  length: number;
  seed: number;
  checkpoint: string;
  weights: 'ema' | 'raw';
  /** trace[step] = the sequences (ids) after that step; one array per batch, concatenated per step. */
  trace?: number[][][];
}

/** The id of each word of `text` (an error naming a word the tokenizer cannot encode as itself). */
export function encodeStrict(tok: Tokenizer, text: string, what: string): number[] {
  const ids = Array.from(tok.encode(text));
  const unk = tok.lookup('<unk>');
  if (unk !== undefined && ids.includes(unk) && !text.includes('<unk>')) {
    const bad = text.split(/\s+/).filter((w) => w && Array.from(tok.encode(w)).includes(unk));
    throw new SampleError(`${what}: ${bad.map((w) => `'${w}'`).join(', ')} ${bad.length === 1 ? 'is' : 'are'} not in the vocabulary of ${tok.id} (it would become <unk>)`, what);
  }
  return ids;
}

/** The clamp table of L positions from a prefix and position clamps. */
export function clampOf(tok: Tokenizer, L: number, o: Pick<SampleOptions, 'prefix' | 'clamp'>): Int32Array | undefined {
  if (o.prefix === undefined && !o.clamp) return undefined;
  const c = new Int32Array(L).fill(-1);
  const pre = o.prefix === undefined ? [] : typeof o.prefix === 'string' ? encodeStrict(tok, o.prefix, 'prefix') : [...o.prefix];
  if (pre.length > L) throw new SampleError(`the prefix is ${pre.length} tokens, longer than the length ${L}; shorten it or raise --length`, 'prefix');
  pre.forEach((id, i) => (c[i] = id));
  for (const [k, v] of Object.entries(o.clamp ?? {})) {
    const pos = Number(k);
    if (!(Number.isInteger(pos) && pos >= 0 && pos < L)) throw new SampleError(`clamp position ${k} is outside the length (0..${L - 1})`, `clamp[${k}]`);
    let id: number;
    if (typeof v === 'number') id = v;
    else {
      const ids = encodeStrict(tok, v, `clamp[${k}]`);
      if (ids.length !== 1) throw new SampleError(`clamp[${k}]: '${v}' is ${ids.length} tokens; a clamped position holds one`, `clamp[${k}]`);
      id = ids[0]!;
    }
    c[pos] = id;
  }
  for (let i = 0; i < L; i++) if (c[i]! !== -1 && !(c[i]! >= 0 && c[i]! < tok.vocabSize)) throw new SampleError(`token id ${c[i]} at position ${i} is not a token of ${tok.id} (0..${tok.vocabSize - 1})`, 'clamp');
  return c;
}

/** Samples `n` sequences from a trained run (a run folder, a checkpoint in one, or a loaded run). */
export async function sample(run: string | LoadedRun, o: SampleOptions): Promise<SampleRun> {
  const t0 = performance.now();
  if (!(Number.isInteger(o.n) && o.n >= 1 && o.n <= MAX_SAMPLES)) throw new SampleError(`the number of samples must be a whole number in 1..${MAX_SAMPLES}, not ${o.n}`, 'n');
  const r = typeof run === 'string' ? await loadRun(run, { ema: !o.raw, ...(o.log ? { log: o.log } : {}) }) : run;
  if (!r.rt || !r.denoiser) throw new SampleError(`${r.checkpoint.dir} is an autoregressive model; dlmk samples diffusion models (the AR twin scores samples: dlmk eval)`, 'checkpoint');
  const L = o.length ?? r.spec.data.length!;
  if (!(Number.isInteger(L) && L >= 1 && L <= MAX_SAMPLE_LENGTH)) throw new SampleError(`the length must be a whole number in 1..${MAX_SAMPLE_LENGTH}, not ${L}`, 'length');
  const seed = o.seed ?? 0;
  const clamp = clampOf(r.data.tokenizer, L, o);
  // At most 64 sequences per batch by default, and never more than one model call takes on this
  // adapter (its logits must fit a storage binding), so the default may differ between adapters.
  const fit = r.model.maxSequences(L);
  if (fit < 1) throw new SampleError(`length ${L} is too long for one sequence's logits on this adapter (storage-binding limit ${(r.gpu.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB)`, 'length');
  if (o.batch !== undefined && o.batch > fit) throw new SampleError(`batch ${o.batch} is over what one model call takes on this adapter at length ${L} (its logits must fit a storage binding): at most ${fit}`, 'batch');
  const per = Math.min(o.n, o.batch ?? Math.min(64, fit));
  const batches = Math.ceil(o.n / per);
  const samples: GeneratedSample[] = [];
  const trace: number[][][] = [];
  let nfe = 0;
  let steps = 0;
  let settings: SamplerSettings | undefined;
  const { n: _n, length: _l, seed: _s, prefix: _p, clamp: _c, batch: _b, raw: _r, trace: wantTrace, onStep, log: _log, ...overrides } = o;
  for (let b = 0; b < batches; b++) {
    const B = Math.min(per, o.n - b * per);
    const res = await sampleTokens({
      ...overrides,
      rt: r.rt,
      denoiser: r.denoiser,
      B,
      L,
      // Batches draw independent streams: the same (seed, n, batch) gives the same text.
      seed: seed + b * 0x10000,
      ...(clamp ? { clamp } : {}),
      ...(wantTrace ? { trace: true } : {}),
      ...(onStep ? { onStep: (i: StepInfo) => onStep({ ...i, batch: b, batches }) } : {}),
    });
    settings = res.settings;
    nfe += res.nfe;
    steps = res.steps;
    for (let i = 0; i < B; i++) {
      const ids = Array.from(res.tokens.subarray(i * L, (i + 1) * L));
      samples.push({ ids, text: r.data.tokenizer.decode(ids) });
    }
    res.trace?.forEach((x, k) => {
      const rows = Array.from({ length: B }, (_, i) => Array.from(x.subarray(i * L, (i + 1) * L)));
      (trace[k] ??= []).push(...rows);
    });
  }
  return {
    samples,
    settings: settings!,
    nfe,
    steps,
    seconds: (performance.now() - t0) / 1000,
    length: L,
    seed,
    checkpoint: r.checkpoint.dir,
    weights: r.weights,
    ...(wantTrace ? { trace } : {}),
  };
}
