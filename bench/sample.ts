// Sampling throughput: sequences/s and model calls (NFE) of the sampler with a freshly initialised
// DiT (runtime/nn/models createDit), for masking at two step counts with and without the cache, and
// for semdlm_plus; all measured in this run on this adapter. The peer of each cached row is the
// uncached run of the same kernel and steps; the peer of semdlm_plus is masking without the cache
// at the same steps (same model size). Nothing is asserted (docs/sampling.md has the figures).
//
//   npx tsx bench/sample.ts [--V 4096] [--L 128] [--B 16] [--size tiny|small|base] [--hidden D] [--layers N]
//                           [--steps 128,1024] [--kernels masking,semdlm_plus] [--k 10] [--graph-steps 128]
//
// Kernels other than masking run at --graph-steps only (a graph kernel's step costs seconds on a CPU
// adapter at this size).
//
// masking's DiT is not time-conditioned (MDLM's choice: the cache applies to it); semdlm_plus's is.
// semdlm_plus's graph is a random k-out graph over the vocabulary (its cost depends on the degree,
// not on which tokens are neighbours; building a knn graph would be a one-off that dominates a CPU
// adapter's run), its unigram Zipf-like. Each configuration runs once untimed first (pipelines).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileKernel } from '../compiler/index.ts';
import { Recorder, getGpu } from '../runtime/gpu/index.ts';
import { createKernelRuntime, type CsrGraph, type KernelRuntime } from '../runtime/kernel/index.ts';
import { ModelDenoiser, maskOnly } from '../runtime/denoiser/index.ts';
import { createDit, paramCount, type DitConfig, type ModelSize } from '../runtime/nn/models/index.ts';
import { sampleTokens, type SampleResult } from '../runtime/sample/index.ts';
import { fmt, lpad, pad } from './util.ts';
import { randomRegularGraph, zipfUnigram } from './graphs.ts';

const argv = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1]! : def;
};
const V = Number(arg('--V', '4096'));
const L = Number(arg('--L', '128'));
const B = Number(arg('--B', '16'));
const k = Number(arg('--k', '10'));
const size = arg('--size', 'tiny') as ModelSize;
const hidden = arg('--hidden', '');
const layers = arg('--layers', '');
const stepsList = arg('--steps', '128,1024').split(',').map(Number);
const kernels = arg('--kernels', 'masking,semdlm_plus').split(',');
const graphSteps = arg('--graph-steps', String(stepsList[0])).split(',').map(Number);
const root = fileURLToPath(new URL('..', import.meta.url));

const gpu = await getGpu();
console.log(`adapter: ${gpu.description}${gpu.isSoftware ? ' (software)' : ''}`);

const randomGraph = (): CsrGraph => randomRegularGraph(V, k, 2);
const unigram = zipfUnigram(V);

interface Row {
  kernel: string;
  steps: number;
  cache: boolean;
  res: SampleResult;
}
const rows: Row[] = [];
const rec = new Recorder(gpu);
let modelInfo = '';

for (const name of kernels) {
  const spec = compileKernel(readFileSync(`${root}kernels/${name}.kernel`, 'utf8'), { path: `kernels/${name}.kernel`, params: name.startsWith('semdlm') ? { k } : {} });
  const t0 = performance.now();
  const rt: KernelRuntime = await createKernelRuntime(gpu, spec, { V, graphs: spec.graphs.length ? { near: randomGraph() } : {}, unigram });
  const overrides = {
    timeConditioning: !maskOnly(spec),
    maskToken: spec.hasMask,
    dropout: 0,
    ...(hidden ? { hidden: Number(hidden) } : {}),
    ...(layers ? { layers: Number(layers) } : {}),
  };
  const model = createDit(gpu, { size, vocabSize: V, overrides }, { seed: 1 });
  for (let b = 1; b <= B; b *= 2) await model.prepare(rec, b, L);
  await model.prepare(rec, B, L);
  const denoiser = new ModelDenoiser(model, rt);
  const c = model.cfg as DitConfig;
  modelInfo = `DiT ${size} (hidden ${c.hidden}, ${c.layers} layers, ${c.heads} heads), ${fmt(paramCount(c) / 1e6, 2)}M parameters`;
  console.log(`${name}: runtime and model ready in ${fmt((performance.now() - t0) / 1000, 1)} s; ${modelInfo}, time-conditioned ${c.timeConditioning}`);
  const caches = maskOnly(spec) ? [false, true] : [false];
  for (const steps of maskOnly(spec) ? stepsList : graphSteps) {
    for (const cache of caches) {
      const run = (seed: number, n: number) => sampleTokens({ rt, denoiser, B, L, seed, steps: n, cache, recorder: rec });
      await run(99, Math.min(steps, 8)); // pipelines, buffers
      const res = await run(1, steps);
      rows.push({ kernel: name, steps, cache, res });
      console.log(`  ${steps} steps, cache ${cache ? 'on ' : 'off'}: ${fmt(res.seconds, 2)} s`);
    }
  }
}

console.log(`\n${modelInfo}; V = ${V}, L = ${L}, B = ${B}`);
console.log(`${pad('kernel', 13)}${lpad('steps', 6)}${lpad('cache', 7)}${lpad('seconds', 10)}${lpad('seq/s', 9)}${lpad('NFE', 7)}${lpad('evals/seq', 11)}${lpad('x peer', 9)}  peer`);
const seqs = (x: Row) => B / x.res.seconds;
const evals = (x: Row) => x.res.nfePerSequence.reduce((a, b) => a + b, 0) / B;
for (const x of rows) {
  const peer = x.cache
    ? rows.find((y) => y.kernel === x.kernel && y.steps === x.steps && !y.cache)
    : x.kernel !== 'masking'
      ? rows.find((y) => y.kernel === 'masking' && y.steps === x.steps && !y.cache)
      : undefined;
  const ratio = peer ? seqs(x) / seqs(peer) : NaN;
  const peerName = peer ? `${peer.kernel} ${peer.steps} steps, cache off` : '-';
  console.log(
    `${pad(x.kernel, 13)}${lpad(String(x.steps), 6)}${lpad(x.cache ? 'on' : 'off', 7)}${lpad(fmt(x.res.seconds, 2), 10)}${lpad(fmt(seqs(x), 2), 9)}${lpad(String(x.res.nfe), 7)}${lpad(fmt(evals(x), 1), 11)}${lpad(fmt(ratio, 2), 9)}  ${peerName}`,
  );
}
for (const steps of stepsList) {
  const on = rows.find((y) => y.kernel === 'masking' && y.steps === steps && y.cache);
  const off = rows.find((y) => y.kernel === 'masking' && y.steps === steps && !y.cache);
  if (on && off) console.log(`masking, ${steps} steps: cached / uncached sequences/s = ${fmt(seqs(on) / seqs(off), 2)} (model evaluations per sequence ${fmt(evals(on), 1)} vs ${fmt(evals(off), 1)}; MDLM reports 3-4x at 1024 steps)`);
}
process.exit(0);
