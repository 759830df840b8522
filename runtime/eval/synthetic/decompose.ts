// The exact decomposition of generation error on the Markov source (docs/eval.md, "Synthetic source
// and the error decomposition"). With F(law) = E_{x ~ law}[-log p_data(x)] / L, the cross-entropy
// rate of a law under the true source (F(data) = H(x_{1:L}) / L exactly),
//
//   F(model, S) - F(data) =  [F(model, S) - F(oracle, S)]      approximation error
//                         +  [F(oracle, S) - F(exact reverse)]  sampling error
//                         +  [F(exact reverse) - F(data)]       forward-kernel mismatch,
//
// a telescoping sum: each part is a difference of computed quantities, none fitted. "model, S" and
// "oracle, S" are the same sampler setting (runtime/sample, S steps) driven by the trained model and
// by the exact denoiser (MarkovOracleDenoiser); "exact reverse" draws x_1 from the kernel's prior on
// every position, then x0 ~ p(x0 | x_1) exactly (forward filtering, backward sampling).
//
// Estimation: the samplers' F by Monte Carlo over their sequences; the exact reverse process's F
// Rao-Blackwellised, E[-log p_data(x0) | x_1] computed exactly per x_1 (forward-backward), so only
// x_1 is random. Common random numbers: the model and the oracle run with the same seeds (the same
// x_1 and the same uniforms at every step), and the exact reverse process starts from that same x_1
// (the sampler's prior draw, reproduced by rt.samplePrior), so each part's standard error is that
// of a paired difference. A model equal to the oracle gives the same sequences and an
// approximation part of exactly 0.
import type { KernelRuntime } from '../../kernel/index.ts';
import type { Denoiser } from '../../denoiser/index.ts';
import { mixSeed, mulberry32 } from '../../data/index.ts';
import { resolveSettings, sampleTokens, type SamplerOverrides, type SamplerSettings } from '../../sample/index.ts';
import type { ReferenceKernel } from '../../../reference/kernel/index.ts';
import { SyntheticError, type MarkovSource } from '../../../reference/synthetic/index.ts';
import { MarkovOracleDenoiser } from './denoiser.ts';
import { INVALID_COST, lawReport, pairedDifference, scoreSequences, type LawReport } from './laws.ts';
import { standardError } from '../metrics/index.ts';

export interface DecomposeOptions {
  /** The source the model was trained on (its L is the sequence length). */
  source: MarkovSource;
  /** The kernel runtime the model was trained with (a run's: loadRun). */
  rt: KernelRuntime;
  /** Its float64 reference (referenceFor(rt, { unigram }) or sourceKernel(...).ref). */
  ref: ReferenceKernel;
  /** The trained model as a Denoiser; default: the oracle itself (then the approximation part is 0). */
  model?: Denoiser;
  /** The exact denoiser; default: a MarkovOracleDenoiser of `source` and `ref`. */
  oracle?: MarkovOracleDenoiser;
  /** The sampler setting shared by the model and the oracle: the kernel's block with these overrides (`steps` is S). */
  sampler?: SamplerOverrides;
  /** Sequences per law (default 256). */
  samples?: number;
  /** Sequences per sampler call (default 128). */
  batch?: number;
  seed?: number;
  /** Nats charged for a token outside the source in -log p_data (default 20; laws.ts). */
  invalidCost?: number;
  /** One line per batch. */
  log?: (line: string) => void;
}

export interface Part {
  /** nats per token */
  readonly value: number;
  /** Standard error (of the paired difference where the two laws share draws). */
  readonly se: number;
  /** The standard error the two estimates would have without common random numbers (sqrt(se_a^2 + se_b^2)): what the pairing saves. */
  readonly seIndependent: number;
}

export interface Decomposition {
  /** F(data) = H(x_{1:L}) / L (nats per token), exact. */
  readonly entropyRate: number;
  readonly laws: { readonly data: LawReport; readonly exactReverse: LawReport; readonly oracle: LawReport; readonly model: LawReport };
  /** approximation + sampling + mismatch = total, up to float64 rounding. */
  readonly parts: { readonly approximation: Part; readonly sampling: Part; readonly mismatch: Part; readonly total: Part };
  /** The sampler setting in force (predictor, steps, options, denoise, rules). */
  readonly settings: SamplerSettings;
  readonly samples: number;
  readonly seed: number;
  /** Whether the model was the oracle itself. */
  readonly modelIsOracle: boolean;
  /** The sequences, [samples, L] row-major: for reports (samples side by side). */
  readonly tokens: { readonly data: Int32Array; readonly exactReverse: Int32Array; readonly oracle: Uint32Array; readonly model: Uint32Array };
  readonly seconds: number;
}

/** Runs the three laws (and the data law) and splits F(model, S) - F(data) into its three parts. */
export async function decompose(o: DecomposeOptions): Promise<Decomposition> {
  const t0 = performance.now();
  const { source, rt, ref } = o;
  const L = source.L;
  const n = o.samples ?? 256;
  const batch = o.batch ?? 128;
  const seed = o.seed ?? 0;
  const log = o.log ?? (() => {});
  const int = (x: number, what: string) => {
    if (!(Number.isInteger(x) && x >= 1)) throw new SyntheticError(`decompose: ${what} must be a whole number >= 1, got ${x}`);
  };
  int(n, 'samples');
  int(batch, 'batch');
  if (!(Number.isInteger(seed) && seed >= 0)) throw new SyntheticError(`decompose: seed must be a non-negative integer, got ${seed}`);
  if (ref.V !== rt.V || ref.S !== rt.S) throw new SyntheticError(`decompose: the reference kernel has V = ${ref.V} (S = ${ref.S}), the runtime V = ${rt.V} (S = ${rt.S}): they are not the same kernel`);
  if (ref.V < source.V) throw new SyntheticError(`decompose: the kernel has V = ${ref.V} tokens, fewer than the source's ${source.V}`);
  const oracle = o.oracle ?? new MarkovOracleDenoiser(rt.spec, ref, source);
  if (oracle.oracle.source !== source) throw new SyntheticError('decompose: the oracle was built for another source');
  const model = o.model ?? oracle;
  const modelIsOracle = model === oracle;
  const overrides = o.sampler ?? {};
  const settings = resolveSettings(rt.spec, overrides);

  const tokM = new Uint32Array(n * L);
  const tokO = new Uint32Array(n * L);
  const tokE = new Int32Array(n * L);
  const nllE = new Float64Array(n);
  let nfeM = 0;
  let nfeO = 0;
  for (let at = 0, c = 0; at < n; at += batch, c++) {
    const B = Math.min(batch, n - at);
    // One seed per batch, shared by the model, the oracle and the exact reverse process (common random numbers).
    const s = mixSeed(seed, c);
    const run = (denoiser: Denoiser) => sampleTokens({ rt, denoiser, B, L, seed: s, ...overrides });
    const ro = await run(oracle);
    tokO.set(ro.tokens, at * L);
    nfeO += ro.nfe;
    if (modelIsOracle) {
      tokM.set(ro.tokens, at * L);
      nfeM += ro.nfe;
    } else {
      const rm = await run(model);
      tokM.set(rm.tokens, at * L);
      nfeM += rm.nfe;
    }
    // The samplers' x_1: the prior drawn at every position of the batch as one sequence (stream 0).
    const x1 = await rt.samplePrior(B * L, { L: B * L, seed: s, stream: 0 });
    const u = mulberry32(mixSeed(seed, c, 0x7e4e));
    for (let b = 0; b < B; b++) {
      const r = oracle.oracle.reverse(x1, u, b * L);
      tokE.set(r.x0, (at + b) * L);
      nllE[at + b] = r.nll / L;
    }
    log(`decompose: ${at + B}/${n} sequences (${settings.predictor}, ${settings.steps} steps)`);
  }

  const cost = o.invalidCost ?? INVALID_COST;
  const sm = scoreSequences(source, tokM, n, cost);
  const so = scoreSequences(source, tokO, n, cost);
  const Fdata = source.entropyPerToken();
  const tokD = source.sampleSeeded(n, mixSeed(seed, 0xda7a));
  const laws = {
    data: lawReport(source, 'data', tokD, n, null, { F: Fdata }),
    exactReverse: lawReport(source, 'exact reverse', tokE, n, nllE),
    oracle: lawReport(source, 'oracle', tokO, n, so.perToken, { invalid: so.invalid, nfe: nfeO }),
    model: lawReport(source, 'model', tokM, n, sm.perToken, { invalid: sm.invalid, nfe: nfeM }),
  };
  const paired = (a: Float64Array, b: Float64Array): Part => ({ ...pairedDifference(a, b), seIndependent: Math.hypot(standardError(a), standardError(b)) });
  const approximation = paired(sm.perToken, so.perToken);
  const sampling = paired(so.perToken, nllE);
  const mismatch = { value: laws.exactReverse.F - Fdata, se: standardError(nllE), seIndependent: standardError(nllE) };
  const total = { value: laws.model.F - Fdata, se: standardError(sm.perToken), seIndependent: standardError(sm.perToken) };
  return {
    entropyRate: Fdata,
    laws,
    parts: { approximation, sampling, mismatch, total },
    settings,
    samples: n,
    seed,
    modelIsOracle,
    tokens: { data: tokD, exactReverse: tokE, oracle: tokO, model: tokM },
    seconds: (performance.now() - t0) / 1000,
  };
}

/** The decomposition as a small text table (nats per token), for logs and tests. */
export function formatDecomposition(d: Decomposition): string {
  const f = (x: number) => (x >= 0 ? ' ' : '') + x.toFixed(4);
  const e = (x: number) => x.toFixed(4);
  const lines = [
    `F = E[-log p_data(x)] / L (nats/token); H/L = ${d.entropyRate.toFixed(4)}; ${d.samples} samples; ${d.settings.predictor}, ${d.settings.steps} steps, denoise ${d.settings.denoise}`,
    'law            F        se       entropy  bigram TV  invalid',
    ...[d.laws.data, d.laws.exactReverse, d.laws.oracle, d.laws.model].map(
      (l) => `${l.name.padEnd(14)} ${e(l.F)}  ${e(l.se)}  ${e(l.entropy)}   ${e(l.bigramTV)}     ${l.invalid.toFixed(3)}`,
    ),
    `approximation ${f(d.parts.approximation.value)} ± ${e(d.parts.approximation.se)} (unpaired ± ${e(d.parts.approximation.seIndependent)})`,
    `sampling      ${f(d.parts.sampling.value)} ± ${e(d.parts.sampling.se)} (unpaired ± ${e(d.parts.sampling.seIndependent)})`,
    `mismatch      ${f(d.parts.mismatch.value)} ± ${e(d.parts.mismatch.se)}`,
    `total         ${f(d.parts.total.value)} ± ${e(d.parts.total.se)}`,
  ];
  return lines.join('\n');
}
