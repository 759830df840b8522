// The sampler (docs/sampling.md): B sequences of L positions from the kernel's prior (or from
// [MASK], for `confidence`) down the time grid t_k = 1 - k / steps to 0, with every step's logits
// passed through the sampler rules and one predictor step; clamped positions hold their tokens
// throughout. State lives on the GPU; each step is one submit (the model, the rules, the step,
// the clamp), read back only when the cache, the trace or a self-correction pass needs it.
import type { KernelSpec } from '../../specs/types/kernel.ts';
import { GpuUnavailableError, Recorder, ShaderCompileError, maxBindingBytes, runsOf, windowOf, type Gpu } from '../gpu/index.ts';
import { KernelRuntimeError, type KernelRuntime } from '../kernel/index.ts';
import type { Denoiser } from '../denoiser/index.ts';
import { NnError } from '../nn/index.ts';
import { eulerProgram } from '../../compiler/wgsl/tauleap.ts';
import { SampleError } from './errors.ts';
import { buffer, dispatch } from './gpu.ts';
import { confidencePlan, timeGrid, type BlockStep } from './grid.ts';
import { ModelCalls } from './model.ts';
import { maskOnly } from '../denoiser/index.ts';
import { rulesRuntime } from './rules.ts';
import { resolveSettings, type SamplerOverrides, type SamplerSettings } from './settings.ts';
import { FREE, applyProgram, candidatesProgram, commitProgram, correctProgram, modeProgram, unmaskProgram } from './wgsl.ts';

const WG = 64;

export interface RemaskOptions {
  eta: number;
  t_on: number;
  t_off: number;
}
/** A wait for the GPU every this many steps when nothing is read back (bounds the queued work). */
const SYNC_EVERY = 16;

export interface StepInfo {
  /** Steps (or correction passes) done so far, and how many there are. */
  step: number;
  steps: number;
  phase: 'sample' | 'correct';
  /** Denoiser calls so far. */
  nfe: number;
}

export interface SampleTokensOptions extends SamplerOverrides {
  rt: KernelRuntime;
  denoiser: Denoiser;
  /** Sequences and positions per sequence. */
  B: number;
  L: number;
  seed: number;
  /** The compiled kernel whose sampler block (and rule params) to use; default rt.spec. Must be rt's kernel. */
  spec?: KernelSpec;
  /**
   * Clamped positions (a prefix, or any set: infilling): length L (the same for every sequence) or
   * B * L; -1 is a free position, anything else the token it holds from t = 1 on.
   */
  clamp?: ArrayLike<number>;
  /**
   * Start from these tokens ([B * L] states, [MASK] = V where the kernel has one) at time t in
   * (0, 1] instead of a prior draw at t = 1; the grid then runs from t to 0 (repair and drift
   * measurements, editing). Clamped positions still take their tokens.
   */
  start?: { tokens: ArrayLike<number>; t: number };
  /** Return each step's sequences (the start first, then after every step and pass). */
  trace?: boolean;
  /** Called after every step and correction pass. */
  onStep?: (info: StepInfo) => void;
  /** The longest L the model allows (an error beyond it). */
  maxLength?: number;
  /** A step recorder to reuse (its pool keeps the model's buffers between calls). */
  recorder?: Recorder;
}

export interface SampleResult {
  /** [B * L] token ids (u32; [MASK] = V only where `denoise none` left one). */
  tokens: Uint32Array;
  /** Denoiser calls. */
  nfe: number;
  /** Model evaluations of each sequence (< nfe when the cache spared some). */
  nfePerSequence: Uint32Array;
  /** Grid steps and correction passes run. */
  steps: number;
  passes: number;
  seconds: number;
  trace?: Uint32Array[];
  /** The settings in force (the kernel's block with the overrides and defaults). */
  settings: SamplerSettings;
}

/** The clamp of `L` positions as a prefix of given tokens (the rest free). */
export function prefixClamp(prefix: ArrayLike<number>, L: number): Int32Array {
  if (prefix.length > L) throw new SampleError(`the prefix has ${prefix.length} tokens, longer than the length L = ${L}`, 'prefix');
  const c = new Int32Array(L).fill(-1);
  for (let i = 0; i < prefix.length; i++) c[i] = prefix[i]!;
  return c;
}

/** The clamp of `L` positions holding `tokens[j]` at `positions[j]` (infilling; the rest free). */
export function positionsClamp(L: number, positions: ArrayLike<number>, tokens: ArrayLike<number>): Int32Array {
  if (positions.length !== tokens.length) throw new SampleError(`${positions.length} clamp positions but ${tokens.length} tokens`, 'clamp');
  const c = new Int32Array(L).fill(-1);
  for (let j = 0; j < positions.length; j++) {
    const p = positions[j]!;
    if (!(Number.isInteger(p) && p >= 0 && p < L)) throw new SampleError(`clamp position ${p} is outside the length L = ${L} (positions 0..${L - 1})`, `clamp[${j}]`);
    c[p] = tokens[j]!;
  }
  return c;
}

/** Samples B sequences of L tokens; errors are SampleError (or the runtime's own typed errors). */
export async function sampleTokens(o: SampleTokensOptions): Promise<SampleResult> {
  try {
    return await run(o);
  } catch (err) {
    if (err instanceof SampleError || err instanceof KernelRuntimeError || err instanceof GpuUnavailableError || err instanceof ShaderCompileError || err instanceof NnError) throw err;
    if (err instanceof Error && err.name === 'OracleError') throw err;
    throw new SampleError(`sampling failed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
  }
}

function checkInputs(o: SampleTokensOptions): void {
  const int = (v: number, what: string, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new SampleError(`${what} must be a whole number >= ${min}, not ${v}`, what);
  };
  int(o.B, 'B', 1);
  int(o.L, 'L', 1);
  if (!(Number.isInteger(o.seed) && o.seed >= 0 && o.seed <= Number.MAX_SAFE_INTEGER)) throw new SampleError(`a seed must be a non-negative integer, not ${o.seed}`, 'seed');
  if (o.maxLength !== undefined && o.L > o.maxLength) throw new SampleError(`L = ${o.L} is longer than the model allows (${o.maxLength})`, 'L');
  if (o.denoiser.V !== o.rt.V) throw new SampleError(`the denoiser has V = ${o.denoiser.V} tokens, the kernel runtime ${o.rt.V}`, 'denoiser');
  if (o.start) {
    const { tokens, t } = o.start;
    if (!(t > 0 && t <= 1)) throw new SampleError(`the start time must be in (0, 1], not ${t}`, 'start.t');
    if (tokens.length !== o.B * o.L) throw new SampleError(`start.tokens has ${tokens.length} entries, not B * L = ${o.B * o.L}`, 'start.tokens');
    const S = o.rt.S;
    for (let i = 0; i < tokens.length; i++) {
      const x = tokens[i]!;
      if (!(Number.isInteger(x) && x >= 0 && x < S)) {
        throw new SampleError(`start.tokens[${i}] = ${x} is not a state (0..${S - 1}${o.rt.spec.hasMask ? `; [MASK] is ${o.rt.V}` : ''})`, `start.tokens[${i}]`);
      }
    }
  }
  if (o.spec && o.spec !== o.rt.spec) {
    const same = (s: KernelSpec) => JSON.stringify([s.name, s.channels, s.schedule, s.hasMask]);
    if (same(o.spec) !== same(o.rt.spec)) throw new SampleError(`the spec is kernel '${o.spec.name}' with other channels or schedule than the runtime's '${o.rt.spec.name}'`, 'spec');
  }
}

/** The clamp as B * L u32 (FREE where free), checked. */
function clampTable(c: ArrayLike<number> | undefined, B: number, L: number, V: number): Uint32Array | null {
  if (!c) return null;
  if (c.length !== L && c.length !== B * L) throw new SampleError(`clamp has ${c.length} entries: give L = ${L} (every sequence) or B * L = ${B * L}`, 'clamp');
  const out = new Uint32Array(B * L);
  for (let i = 0; i < B * L; i++) {
    const v = c[c.length === L ? i % L : i]!;
    const at = c.length === L ? i % L : i;
    if (v === -1) out[i] = FREE;
    else if (Number.isInteger(v) && v >= 0 && v < V) out[i] = v;
    else throw new SampleError(`clamp[${at}] = ${v} is not a token (0..${V - 1}) or -1 (free)`, `clamp[${at}]`);
  }
  return out;
}

async function run(o: SampleTokensOptions): Promise<SampleResult> {
  const t0 = performance.now();
  checkInputs(o);
  const rt = o.rt;
  const spec = o.spec ?? rt.spec;
  const settings = resolveSettings(spec, o);
  // Params of `spec` that differ from the runtime's count as overrides of rule params.
  const params: Record<string, number | boolean> = {};
  for (const p of spec.params) {
    if (rt.spec.params.find((q) => q.name === p.name)?.value === p.value) continue;
    params[p.name] = p.value === 'inf' ? Infinity : p.value === '-inf' ? -Infinity : p.value;
  }
  Object.assign(params, settings.params);
  const ruleRt = settings.rules.length || Object.keys(params).length ? rulesRuntime(rt, settings.rules, params) : rt;
  const clamp = clampTable(o.clamp, o.B, o.L, rt.V);
  const s = new SamplerRun(rt, ruleRt, o, settings, clamp);
  try {
    await s.run();
    const out = await s.finish();
    return { ...out, settings, seconds: (performance.now() - t0) / 1000 };
  } finally {
    await rt.gpu.device.queue.onSubmittedWorkDone();
    s.destroy();
  }
}

/** One run's GPU state and its steps (exported for runtime/sample/steps.ts, which drives single steps in tests). */
export class SamplerRun {
  readonly gpu: Gpu;
  readonly B: number;
  readonly L: number;
  readonly N: number;
  readonly V: number;
  readonly S: number;
  readonly rec: Recorder;
  readonly model: ModelCalls;
  x: GPUBuffer;
  private xNext: GPUBuffer;
  readonly clampBuf: GPUBuffer;
  private ruledBuf: GPUBuffer | null = null;
  candBuf: GPUBuffer | null = null;
  confBuf: GPUBuffer | null = null;
  private ratesBuf: GPUBuffer | null = null;
  private readonly owned: GPUBuffer[] = [];
  readonly trace: Uint32Array[] | null;
  private stepsDone = 0;
  private passes = 0;
  private readonly W: number;
  private readonly key: [number, number];
  /** Every channel is mask: the plug-in step is MDLM's (ancestralStep). */
  private readonly maskOnly: boolean;

  constructor(
    readonly rt: KernelRuntime,
    readonly ruleRt: KernelRuntime,
    readonly o: SampleTokensOptions,
    readonly set: SamplerSettings,
    clamp: Uint32Array | null,
  ) {
    this.gpu = rt.gpu;
    this.B = o.B;
    this.L = o.L;
    this.N = o.B * o.L;
    this.V = rt.V;
    this.S = rt.S;
    this.rec = o.recorder ?? new Recorder(rt.gpu);
    this.model = new ModelCalls(rt.gpu, o.denoiser, o.B, o.L, rt.V, { cache: set.cache, partial: set.predictor === 'self_correct' });
    this.x = this.own(this.N * 4, 'dlmk sample x');
    this.xNext = this.own(this.N * 4, 'dlmk sample x next');
    this.clampBuf = this.own(this.N * 4, 'dlmk sample clamp');
    this.gpu.device.queue.writeBuffer(this.clampBuf, 0, clamp ?? new Uint32Array(this.N).fill(FREE));
    this.trace = o.trace ? [] : null;
    // Lanes of the per-position workgroups, as the kernel runtime's: at most a quarter of the tokens, at least 8.
    this.W = Math.min(64, Math.max(8, 2 ** Math.floor(Math.log2(Math.max(1, this.V / 4)))));
    this.key = [o.seed >>> 0, Math.floor(o.seed / 2 ** 32) >>> 0];
    this.maskOnly = maskOnly(rt.spec);
  }

  own(bytes: number, label: string): GPUBuffer {
    const b = buffer(this.gpu, bytes, label);
    this.owned.push(b);
    return b;
  }

  destroy(): void {
    for (const b of this.owned) b.destroy();
    this.model.destroy();
  }

  private swap(): void {
    [this.x, this.xNext] = [this.xNext, this.x];
  }

  private times(t: number): Float64Array {
    return new Float64Array(this.B).fill(t);
  }

  /**
   * The batch as the kernel runtime's per-position steps see it: one sequence of N positions, since
   * every sequence has the same t (its host planning is then per call, not per sequence; draws are
   * keyed by the position in the batch). The rules keep the real sequences (count[v] is per sequence).
   */
  private flat(t: number, s?: number): { B: number; L: number; t: number[]; s: number[] } {
    return { B: 1, L: this.N, t: [t], s: [s ?? 0] };
  }

  // ---------------------------------------------------------------- the run

  async run(): Promise<void> {
    const { predictor, steps } = this.set;
    const grid = timeGrid(steps, this.o.start?.t ?? 1);
    await this.start();
    const plan = predictor === 'confidence' ? confidencePlan(this.L, this.set.options['block'] ?? this.L, steps) : null;
    for (let k = 0; k < steps; k++) {
      const t = grid[k]!;
      const s = grid[k + 1]!;
      const logits = await this.model.logits(this.rec, this.x, t);
      const ruled = this.rules(logits, t, s, k);
      const last = k === steps - 1;
      const stream = 1 + k;
      if (plan) this.confidenceStep(ruled, plan[k]!, stream);
      else if (last && this.set.denoise !== 'none') this.denoiseStep(ruled, t, stream);
      else if (predictor === 'tau_leap') this.eulerStep(ruled, t, s, stream);
      else if (predictor === 'remask') this.remaskStep(ruled, t, s, stream, this.set.options as unknown as RemaskOptions);
      else this.ancestralStep(ruled, t, s, stream);
      this.stepsDone = k + 1;
      await this.endStep(k, { step: k + 1, steps, phase: 'sample' });
    }
    if (predictor === 'self_correct') await this.correct();
  }

  /** x_1: the prior's draw (or [MASK] everywhere for confidence, or the given start), clamped. */
  private async start(): Promise<void> {
    if (this.o.start) {
      this.rec.upload({ buffer: this.x }, Uint32Array.from(this.o.start.tokens));
    } else if (this.set.predictor === 'confidence') {
      this.rec.upload({ buffer: this.x }, new Uint32Array(this.N).fill(this.V));
    } else {
      await this.rt.prior();
      this.rt.encodeSamplePrior(this.rec.encoder, { B: 1, L: this.N, out: this.x, seed: this.o.seed, stream: 0 });
    }
    this.apply(this.x, 0);
    if (this.trace) {
      const a = new Uint32Array(this.N);
      this.rec.read({ buffer: this.x }, a);
      this.trace.push(a);
    }
    await this.rec.submit();
  }

  /** The end of a step: the cache's flags, the trace, one submit. */
  private async endStep(k: number, info: Omit<StepInfo, 'nfe'>): Promise<void> {
    let read = this.model.recordChanged(this.rec, this.x);
    if (this.trace) {
      const a = new Uint32Array(this.N);
      this.rec.read({ buffer: this.x }, a);
      this.trace.push(a);
      read = true;
    }
    await this.rec.submit({ wait: !read && (k + 1) % SYNC_EVERY === 0 });
    this.model.afterStep();
    this.o.onStep?.({ ...info, nfe: this.model.calls });
  }

  async finish(): Promise<Omit<SampleResult, 'settings' | 'seconds'>> {
    const tokens = new Uint32Array(this.N);
    this.rec.read({ buffer: this.x }, tokens);
    await this.rec.submit();
    return {
      tokens,
      nfe: this.model.calls,
      nfePerSequence: Uint32Array.from(this.model.perSequence),
      steps: this.stepsDone,
      passes: this.passes,
      ...(this.trace ? { trace: this.trace } : {}),
    };
  }

  // ---------------------------------------------------------------- pieces of a step

  /** The sampler rules on the logits (count[v] from the current tokens); the logits themselves when there are none. */
  rules(logits: GPUBuffer, t: number, s: number, step: number): GPUBuffer {
    if (this.set.rules.length === 0) return logits;
    this.ruledBuf ??= this.own(this.N * this.V * 4, 'dlmk sample ruled logits');
    this.ruleRt.encodeRules(this.rec.encoder, { B: this.B, L: this.L, t: this.times(t), s: this.times(s), step, logits, tokens: this.x, out: this.ruledBuf });
    return this.ruledBuf;
  }

  /** mode 0: clamp `x`; mode 1: fill its [MASK]s with the candidates first. */
  apply(x: GPUBuffer, mode: 0 | 1): void {
    const cand = mode === 1 ? this.candBuf! : this.clampBuf;
    dispatch(this.rec, applyProgram(WG), { V: this.V, C: this.N, mode }, [x, this.clampBuf, cand], Math.ceil(this.N / WG));
  }

  /**
   * x0 ~ p_hat with p_hat(x0) into cand and conf: at every position, or (`block`) only at the
   * [MASK]s within [start, end) of each sequence.
   */
  candidates(ruled: GPUBuffer, stream: number, block?: { start: number; end: number }): void {
    this.candBuf ??= this.own(this.N * 4, 'dlmk sample candidates');
    this.confBuf ??= this.own(this.N * 4, 'dlmk sample confidences');
    const prog = candidatesProgram(this.W, !!block);
    for (const [r0, n] of runsOf(this.gpu, this.N, this.V)) {
      const w = windowOf(this.gpu, ruled, r0 * this.V, n * this.V);
      const dims = { V: this.V, C: n, nb: r0, R: this.L, shift: w.shift, seed0: this.key[0], seed1: this.key[1], stream, n: block?.start ?? 0, act: block?.end ?? 0 };
      dispatch(this.rec, prog, dims, [w.range, this.candBuf, this.confBuf, ...(block ? [this.x] : [])], n);
    }
  }

  /**
   * The plug-in reverse step (docs/math.md §2.3). For a kernel whose every channel is mask it is
   * MDLM's step, a [MASK] unmasking with probability (alpha_s - alpha_t) / (1 - alpha_t) to
   * x0 ~ p_hat: the fused unmask kernel with sigma = 0, which reads only the logits of the positions
   * that unmask.
   */
  ancestralStep(ruled: GPUBuffer, t: number, s: number, stream: number): void {
    if (this.maskOnly) {
      this.unmask(ruled, t, s, 0, stream);
      return;
    }
    this.rt.encodeReverse(this.rec.encoder, { ...this.flat(t, s), logits: ruled, xt: this.x, out: this.xNext, seed: this.o.seed, stream });
    this.apply(this.xNext, 0);
    this.swap();
  }

  /** ReMDM's step with remasking probability sigma (MDLM's with 0) at every free position, fused with the candidate draw. */
  private unmask(ruled: GPUBuffer, t: number, s: number, sigma: number, stream: number): void {
    const at = this.alpha(t);
    const as = this.alpha(s);
    const pu = at < 1 ? Math.min(1, Math.max(0, (as - (1 - sigma) * at) / (1 - at))) : 1;
    const prog = unmaskProgram(this.W);
    for (const [r0, n] of runsOf(this.gpu, this.N, this.V)) {
      const w = windowOf(this.gpu, ruled, r0 * this.V, n * this.V);
      dispatch(
        this.rec,
        prog,
        { V: this.V, C: n, nb: r0, R: this.L, shift: w.shift, f0: pu, f1: sigma, seed0: this.key[0], seed1: this.key[1], stream },
        [w.range, this.x, this.clampBuf, this.xNext],
        n,
      );
    }
    this.swap();
  }

  /** Euler on the reverse rates (docs/math.md §2.5), compiler/wgsl/tauleap.ts. */
  eulerStep(ruled: GPUBuffer, t: number, s: number, stream: number): void {
    const S = this.S;
    this.ratesBuf ??= this.own(this.N * S * 4, 'dlmk sample rates');
    this.rt.encodeRates(this.rec.encoder, { ...this.flat(t), logits: ruled, xt: this.x, out: this.ratesBuf });
    const prog = eulerProgram(this.W);
    for (const [r0, n] of runsOf(this.gpu, this.N, S)) {
      const w = windowOf(this.gpu, this.ratesBuf, r0 * S, n * S);
      dispatch(this.rec, prog, { V: S, C: n, nb: r0, R: this.L, shift: w.shift, f0: t - s, seed0: this.key[0], seed1: this.key[1], stream }, [w.range, this.x, this.xNext], n);
    }
    this.apply(this.xNext, 0);
    this.swap();
  }

  /** alpha = e^{-Lambda_m(t)}, the probability that a position is not masked at t. */
  private alpha(t: number): number {
    let lm = 0;
    const lam = this.rt.co.lambdas(t);
    this.rt.spec.channels.forEach((c, i) => {
      if (c.operator.op === 'mask') lm += lam[i]!;
    });
    return Math.exp(-lm);
  }

  /** ReMDM (max-capped sigma inside (t_off, t_on]); MDLM's step outside. */
  remaskStep(ruled: GPUBuffer, t: number, s: number, stream: number, o: RemaskOptions): void {
    const { eta, t_on: tOn, t_off: tOff } = o;
    const at = this.alpha(t);
    const as = this.alpha(s);
    const sigma = t <= tOn && t > tOff ? Math.max(0, Math.min(eta, at > 0 ? Math.min(1, (1 - as) / at) : 1)) : 0;
    this.unmask(ruled, t, s, sigma, stream);
  }

  /** Commit the most confident masked positions of the current block. */
  confidenceStep(ruled: GPUBuffer, b: BlockStep, stream: number): void {
    this.candidates(ruled, stream, b);
    dispatch(this.rec, commitProgram(WG), { V: this.V, C: this.B, R: this.L, n: b.start, act: b.end, nb: b.left }, [this.x, this.candBuf!, this.confBuf!, this.xNext], this.B);
    this.apply(this.xNext, 0);
    this.swap();
  }

  /**
   * The last step, t -> 0, by the `denoise` rule: `sample` draws the plug-in posterior p(x_0 | x_t)
   * (then fills any [MASK] left, possible only when the schedule masks at t = 0, from p_hat);
   * `argmax` takes its mode over the real tokens.
   */
  denoiseStep(ruled: GPUBuffer, t: number, stream: number): void {
    if (this.set.denoise === 'sample') {
      this.rt.encodeReverse(this.rec.encoder, { ...this.flat(t, 0), logits: ruled, xt: this.x, out: this.xNext, seed: this.o.seed, stream });
      if (this.rt.spec.hasMask && this.alpha(0) < 1) {
        this.candidates(ruled, stream);
        this.apply(this.xNext, 1);
      } else this.apply(this.xNext, 0);
      this.swap();
      return;
    }
    // The mixture of whole sequences in chunks whose mixture fits one binding.
    const { L, V } = this;
    const perSeq = (4 * L + 2 * L * V) * 4;
    const Bc = Math.max(1, Math.min(this.B, Math.floor(maxBindingBytes(this.gpu) / perSeq)));
    const mix = this.own(Bc * perSeq, 'dlmk sample mixture');
    const whole = Bc === this.B;
    const lc = whole ? ruled : this.own(Bc * L * V * 4, 'dlmk sample chunk logits');
    const xc = whole ? this.x : this.own(Bc * L * 4, 'dlmk sample chunk x');
    const oc = whole ? this.xNext : this.own(Bc * L * 4, 'dlmk sample chunk out');
    for (let b0 = 0; b0 < this.B; b0 += Bc) {
      const nb = Math.min(Bc, this.B - b0);
      if (!whole) {
        this.rec.copy({ buffer: ruled, offset: b0 * L * V }, { buffer: lc }, nb * L * V);
        this.rec.copy({ buffer: this.x, offset: b0 * L }, { buffer: xc }, nb * L);
      }
      this.rt.encodeReverse(this.rec.encoder, { B: 1, L: nb * L, t: [t], s: [0], logits: lc, xt: xc, out: mix, mode: 'mixture' });
      dispatch(this.rec, modeProgram(this.W), { V, C: nb * L, act: nb * L }, [mix, xc, oc], nb * L);
      if (!whole) this.rec.copy({ buffer: oc }, { buffer: this.xNext, offset: b0 * L }, nb * L);
    }
    this.apply(this.xNext, 0);
    this.swap();
  }

  // ---------------------------------------------------------------- self-correction

  /** One correction pass on every sequence whose `done` flag is 0 (it becomes 1 when the sequence is a fixed point). */
  correctPass(ruled: GPUBuffer, stream: number, done: GPUBuffer): void {
    this.candidates(ruled, stream);
    dispatch(this.rec, correctProgram(WG), { V: this.V, C: this.B, R: this.L }, [this.x, this.clampBuf, this.candBuf!, this.confBuf!, done, this.xNext], this.B);
    this.swap();
  }

  /** GIDD's fixed-point passes at t = t_start after the grid: one replacement per sequence and pass, until no sequence changes. */
  private async correct(): Promise<void> {
    const passes = this.set.options['passes']!;
    const tc = this.set.options['t_start']!;
    const done = this.own(this.B * 4, 'dlmk sample done');
    this.rec.clear(done);
    const doneHost = new Uint32Array(this.B);
    const want = new Uint8Array(this.B);
    for (let p = 0; p < passes; p++) {
      for (let b = 0; b < this.B; b++) want[b] = doneHost[b] ? 0 : 1;
      if (!want.some((w) => w)) break;
      const step = this.set.steps + p;
      const logits = await this.model.logits(this.rec, this.x, tc, want);
      const ruled = this.rules(logits, tc, tc, step);
      this.correctPass(ruled, 1 + step, done);
      this.rec.read({ buffer: done }, doneHost);
      this.passes = p + 1;
      await this.endStep(step, { step: p + 1, steps: passes, phase: 'correct' });
    }
  }
}
