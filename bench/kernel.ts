// Kernel overhead: tokens/s of forward corruption, of the plug-in reverse step and of the ELBO
// integrand with its gradient, next to the denoiser's output-layer matmul for the same batch
// ([B*L, d] x [d, V], runtime/nn/matmul, autotuned), all measured in this run on this adapter.
// The ratio kernel time / matmul time is the kernel's overhead on a training or sampling step;
// the target is <= 0.2.
//
//   npx tsx bench/kernel.ts [--V 30522] [--k 10] [--L 128] [--B auto] [--d 384] [--reps 5]
//                           [--kernel semdlm_plus|semdlm|masking|uniform|hybrid|everything|FILE.kernel]
//   npx tsx bench/kernel.ts --variance [...]    the sparse ELBO estimator's variance (bench/kernel-variance.ts)
//
// The graph is a random k-regular graph (row weights random, normalised): building a knn graph of
// 30522 tokens from 384-d embeddings is a one-off that would dominate the run on a CPU adapter,
// and the kernels' cost depends on the degree, not on which tokens are neighbours. Logits are
// random normal, x0 Zipf-distributed, t uniform per sequence (fixed seeds).
import { getGpu, readBuffer } from '../runtime/gpu/index.ts';
import { encodeMatmul, prepareMatmul } from '../runtime/nn/matmul/index.ts';
import { createKernelRuntime, type CsrGraph, type KernelRuntime } from '../runtime/kernel/index.ts';
import { tableBuffer, emptyBuffer } from '../runtime/kernel/encoder.ts';
import * as IR from '../test/helpers/ir.ts';
import { fmt, lpad, pad } from './util.ts';
import { mulberry32 } from '../runtime/data/random.ts';
import { randomRegularGraph, zipfUnigram } from './graphs.ts';
import { readFileSync } from 'node:fs';
import { compileKernel } from '../compiler/index.ts';

const argv = process.argv.slice(2);
if (argv.includes('--variance')) {
  // The sparse estimator's variance and work, in float64 (bench/kernel-variance.ts).
  await (await import('./kernel-variance.ts')).main();
  process.exit(0);
}
const arg = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : def;
};
const V = Number(arg('--V', '30522'));
const k = Number(arg('--k', '10'));
const L = Number(arg('--L', '128'));
const d = Number(arg('--d', '384'));
const reps = Number(arg('--reps', '5'));
const kernelName = arg('--kernel', 'semdlm_plus');

const rng = (seed: number) => mulberry32(seed, { open: true });

const gpu = await getGpu();
// Batch: as many sequences as keep the logits [B*L, V] within one storage binding, at most 32.
const Bmax = Math.max(1, Math.min(32, Math.floor(gpu.limits.maxStorageBufferBindingSize / (L * V * 4))));
const B = arg('--B', 'auto') === 'auto' ? Bmax : Number(arg('--B', '1'));
const N = B * L;
console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}; subgroups ${gpu.hasSubgroups ? gpu.subgroupMinSize : 'none'}`);
console.log(`kernel ${kernelName}, V = ${V}, k = ${k}, L = ${L}, B = ${B} (${N} positions), d = ${d}, ${reps} timed repetitions (median)`);

const r = rng(1);
const graph: CsrGraph = randomRegularGraph(V, k, 1);
const unigram = zipfUnigram(V);

const make: Record<string, () => ReturnType<typeof IR.masking>> = {
  semdlm_plus: () => IR.semdlmPlus(undefined, { k }),
  semdlm: () => IR.semdlm(undefined, k),
  masking: () => IR.masking(),
  uniform: () => IR.uniform(),
  hybrid: () => IR.hybrid(),
  everything: () => IR.everything(),
};
// A .kernel file (e.g. the shipped kernels/semdlm_plus.kernel, whose mutual_info schedule has about
// twice the hops of the loglinear one of the built-in specs) is compiled with k set.
const spec = kernelName.endsWith('.kernel')
  ? compileKernel(readFileSync(kernelName, 'utf8'), { path: kernelName, params: { k } })
  : make[kernelName]?.();
if (!spec) throw new Error(`--kernel: unknown kernel '${kernelName}' (one of ${Object.keys(make).join(', ')}, or a .kernel file)`);
spec.graphs.forEach((g) => (g.k = k));
const t0 = performance.now();
const rt: KernelRuntime = await createKernelRuntime(gpu, spec, { V, graphs: { near: graph }, unigram });
console.log(`runtime ready in ${fmt((performance.now() - t0) / 1000, 2)} s`);

// Inputs.
// Roughly Zipf(1) over the vocabulary (log-uniform ranks).
const x0host = Uint32Array.from({ length: N }, () => Math.max(0, Math.min(V - 1, Math.floor(Math.exp(r() * Math.log(V + 10))) - 10)));
const x0 = tableBuffer(gpu, x0host);
const xt = emptyBuffer(gpu, N * 4);
const xs = emptyBuffer(gpu, N * 4);
const tTrain = Array.from({ length: B }, () => r());
const logitsHost = new Float32Array(N * V);
for (let i = 0; i < logitsHost.length; i++) logitsHost[i] = 2 * (r() + r() + r() - 1.5);
const logits = tableBuffer(gpu, logitsHost);
const dlogits = emptyBuffer(gpu, N * V * 4);
const loss = emptyBuffer(gpu, N * 4);
// The peer: C [N, V] = H [N, d] @ W [d, V].
const Hbuf = tableBuffer(gpu, Float32Array.from({ length: N * d }, () => r() - 0.5));
const Wbuf = tableBuffer(gpu, Float32Array.from({ length: d * V }, () => (r() - 0.5) * 0.05));
const Cbuf = emptyBuffer(gpu, N * V * 4);
const tm = performance.now();
const mm = await prepareMatmul(gpu, { M: N, N: V, K: d });
console.log(`matmul prepared (autotune) in ${fmt((performance.now() - tm) / 1000, 1)} s`);

async function time(label: string, record: (enc: GPUCommandEncoder) => void): Promise<number> {
  const once = async () => {
    const enc = gpu.device.createCommandEncoder();
    record(enc);
    const s = performance.now();
    gpu.device.queue.submit([enc.finish()]);
    await gpu.device.queue.onSubmittedWorkDone();
    return performance.now() - s;
  };
  await once(); // compile and warm
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) ms.push(await once());
  ms.sort((a, b) => a - b);
  const med = ms[Math.floor(ms.length / 2)]!;
  console.log(`  measured ${label}: ${fmt(med, 2)} ms`);
  return med;
}

const msMatmul = await time('matmul', (enc) => encodeMatmul({ gpu, encoder: enc }, { M: N, N: V, K: d, a: { buffer: Hbuf }, b: { buffer: Wbuf }, c: { buffer: Cbuf } }));
const msCorrupt = await time('corrupt', (enc) => rt.encodeCorrupt(enc, { B, L, t: tTrain, x0, out: xt, seed: 1, stream: 0 }));
const msElbo = await time('elbo', (enc) => rt.encodeElbo(enc, { B, L, t: tTrain, logits, x0, xt, loss, dlogits }));
// The unit of the graph kernels' cost: the exact rows q_t(. | x0) of every position, H sparse passes
// of k * V gathers each (written out as [B*L, S]). The ELBO needs three such propagations (p_hat and
// x0 forward, the gradient backward), the reverse step one over [0, s] and a short one over (s, t].
const S = V + (spec.hasMask ? 1 : 0);
const rowsOut = emptyBuffer(gpu, N * S * 4);
const graphKernel = spec.channels.some((c) => c.operator.op === 'jump');
// Measured with every hop dense (a runtime without sparse one-hot starts), as p_hat's propagation is.
const rtDense = graphKernel ? await createKernelRuntime(gpu, spec, { V, graphs: { near: graph }, unigram, sparseHops: false }) : rt;
const msRows = graphKernel ? await time('rows', (enc) => rtDense.encodeRowsOrColumns(enc, 'rows', { B, L, t: tTrain, tokens: x0, out: rowsOut })) : NaN;
// The same with H = 0: what is not the sparse passes (start vectors, writing the rows out).
const msRows0 = graphKernel ? await time('rows, H = 0', (enc) => rtDense.encodeRowsOrColumns(enc, 'rows', { B, L, t: tTrain, tokens: x0, out: rowsOut, H: 0 })) : NaN;
// A sampling step: every sequence at the same t, one step of 1/128.
const enc0 = gpu.device.createCommandEncoder();
rt.encodeCorrupt(enc0, { B, L, t: Array(B).fill(0.5), x0, out: xt, seed: 2, stream: 0 });
gpu.device.queue.submit([enc0.finish()]);
const tS = Array(B).fill(0.5);
const sS = Array(B).fill(0.5 - 1 / 128);
const msReverse = await time('reverse', (enc) => rt.encodeReverse(enc, { B, L, t: tS, s: sS, logits, xt, out: xs, seed: 3, stream: 1 }));
const msRules = spec.sampler.rules.length
  ? await time('rules', (enc) => rt.encodeRules(enc, { B, L, t: tS, s: sS, step: 1, logits, tokens: xt, out: dlogits }))
  : NaN;
// Touch the outputs so nothing is optimised away, and check they are finite.
const l0 = new Float32Array(await readBuffer(gpu, loss, N * 4));
if (!l0.every(Number.isFinite)) console.log('warning: non-finite ELBO values');

const tok = (ms: number) => (N / ms) * 1000;
const rows: Array<[string, number]> = [
  ['output-layer matmul (peer)', msMatmul],
  ['forward corruption', msCorrupt],
  ['ELBO integrand + gradient', msElbo],
  ['reverse step (sample)', msReverse],
];
if (Number.isFinite(msRules)) rows.push([`sampler rules (${spec.sampler.rules.map((x) => x.kind).join(', ')})`, msRules]);
console.log(`\nmatmul variant: ${JSON.stringify(mm)}`);
console.log(`${pad('', 34)}${lpad('ms', 10)}${lpad('tokens/s', 14)}${lpad('x matmul', 10)}`);
for (const [name, ms] of rows) console.log(`${pad(name, 34)}${lpad(fmt(ms, 2), 10)}${lpad(fmt(tok(ms), 0), 14)}${lpad(fmt(ms / msMatmul, 3), 10)}`);
const train = (msCorrupt + msElbo) / msMatmul;
const sample = (msReverse + (Number.isFinite(msRules) ? msRules : 0)) / msMatmul;
console.log(`\nkernel overhead per training step (corruption + ELBO with gradient) / matmul: ${fmt(train, 3)} (target <= 0.2)`);
console.log(`kernel overhead per sampling step (rules + reverse step) / matmul: ${fmt(sample, 3)} (target <= 0.2)`);
const desc = rt.describe(tTrain);
const Hs = desc.at?.map((a) => a.H) ?? [];
const Hbar = Hs.reduce((a, b) => a + b, 0) / Math.max(1, Hs.length);
console.log(`workspace ${fmt(desc.workspaceBytes / 2 ** 20, 0)} MiB, ${desc.maxColumns} positions per chunk, mean H ${fmt(Hbar, 2)} (per sequence: ${Hs.join(' ')})`);
if (graphKernel) {
  const hops = Math.max(0, msRows - msRows0);
  console.log(
    `\nFloor of an exact graph kernel on this adapter: the H dense passes (k * V gathers each) that build q_t(.|x0) for every` +
      `\nposition take ${fmt(hops, 2)} ms (rows ${fmt(msRows, 2)} ms less ${fmt(msRows0, 2)} ms with H = 0) = ${fmt(hops / msMatmul, 3)} x matmul. An exact ELBO with` +
      `\ngradient propagates at least two dense vectors that far (p_hat forward, the gradient back), so it` +
      `\ncannot get below about ${fmt((2 * hops) / msMatmul, 2)} x matmul here; dlmk's takes ${fmt(msElbo / hops, 2)} x the passes of one vector.`,
  );
}
process.exit(0);
