// Kernel IR expressions compiled to WGSL and run on the GPU equal compiler/expr/eval.ts (float64)
// to fp32 precision, including JavaScript's pow for negative bases, log1p/expm1 near 0,
// comparisons, logic, if, clamp, variadic min/max and infinite literals. (NaN is left out: WGSL
// lets a compiler assume finite values, so inf - inf may fold to 0.)
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Expr } from '../../../specs/types/kernel.ts';
import * as X from '../../../compiler/expr/build.ts';
import { evalExpr } from '../../../compiler/expr/eval.ts';
import { exprToWgsl, f32Literal } from '../../../compiler/wgsl/expr.ts';
import { mathModule } from '../../../compiler/wgsl/math.ts';
import { program, wgslModule } from '../../../compiler/wgsl/module.ts';
import { dimsModule } from '../../../compiler/wgsl/dims.ts';
import { getGpu, readF32 } from '../../../runtime/gpu/index.ts';
import { KernelPipelines, KernelRecording, emptyBuffer, tableBuffer } from '../../../runtime/kernel/encoder.ts';

const bin = (op: Extract<Expr, { k: 'binary' }>['op'], a: Expr | number, b: Expr | number): Expr => ({ k: 'binary', op, a: typeof a === 'number' ? X.num(a) : a, b: typeof b === 'number' ? X.num(b) : b });

const EXPRS: Expr[] = [
  X.add(X.mul(X.param('gamma'), X.t), X.div(X.s, 3)),
  X.pow(-2, 3),
  X.pow(-2, 2),
  X.pow(X.t, 0.5),
  X.call('log1p', 1e-7),
  X.call('expm1', -3e-8),
  X.call('log1p', X.neg(X.t)),
  X.call('exp', X.neg(X.mul(5, X.step))),
  X.call('clamp', X.v, 2, 4),
  X.call('min', X.t, X.s, X.param('gamma'), 0.2),
  X.call('max', X.t, X.s),
  { k: 'if', cond: bin('>', X.t, X.s), then: X.num(1.5), else: X.num(-1) },
  bin('&&', bin('<', X.s, 0.5), bin('>=', X.v, 3)),
  bin('||', bin('==', X.v, 7), bin('!=', X.step, 2)),
  { k: 'unary', op: '!', a: X.v },
  X.call('tanh', X.sub(X.t, 0.3)),
  X.call('floor', X.mul(X.t, 10)),
  X.call('ceil', X.mul(X.s, 10)),
  X.call('sqrt', X.call('abs', X.sub(X.s, 1))),
  X.num(-Infinity),
  X.num(1e-40),
];

test('f32 literals', () => {
  assert.is(f32Literal(3, 'INF'), '3.0');
  assert.is(f32Literal(0.1, 'INF'), String(Math.fround(0.1)));
  assert.is(f32Literal(Infinity, 'INF'), 'INF');
  assert.is(f32Literal(-Infinity, 'INF'), '(-INF)');
  assert.is(f32Literal(1e39, 'INF'), 'INF');
  assert.is(f32Literal(-2.5, 'INF'), '(-2.5)');
});

test('expressions on the GPU equal the float64 evaluator', async () => {
  const gpu = await getGpu();
  const envs = [
    { t: 0.7, s: 0.4, step: 2, v: 3 },
    { t: 0.2, s: 0.9, step: 0, v: 7 },
  ];
  const target = {
    variable: (n: string) => `env.${n === 'step' ? 'step' : n}`,
    param: (n: string) => (n === 'gamma' ? 'prm[1]' : 'prm[2]'),
    field: () => '0.0',
    graphAgg: () => '0.0',
    infinity: 'prm[0]',
  };
  const body = EXPRS.map((e, i) => `  outv[base + ${i}u] = ${exprToWgsl(e, target)};`).join('\n');
  const code = `
struct Env { t: f32, s: f32, step: f32, v: f32 }
@group(0) @binding(1) var<storage, read> envs: array<Env>;
@group(0) @binding(2) var<storage, read> prm: array<f32>;
@group(0) @binding(3) var<storage, read_write> outv: array<f32>;
@compute @workgroup_size(1) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let env = envs[g.x];
  let base = g.x * ${EXPRS.length}u;
${body}
}`;
  const prog = program('expr_test', [1], dimsModule, mathModule, wgslModule('expr_test_main', code));
  const pipes = new KernelPipelines(gpu);
  await pipes.prepare(prog);
  const out = emptyBuffer(gpu, envs.length * EXPRS.length * 4);
  const rec = new KernelRecording(gpu, pipes);
  rec.dispatch(prog, {}, [tableBuffer(gpu, Float32Array.from(envs.flatMap((e) => [e.t, e.s, e.step, e.v]))), tableBuffer(gpu, Float32Array.from([Infinity, 0.3, 0])), out], [envs.length]);
  const enc = gpu.device.createCommandEncoder();
  rec.encode(enc);
  gpu.device.queue.submit([enc.finish()]);
  const got = await readF32(gpu, out, envs.length * EXPRS.length);
  envs.forEach((env, k) => {
    EXPRS.forEach((e, i) => {
      const want = evalExpr(e, { ...env, params: { gamma: 0.3 } });
      const g = got[k * EXPRS.length + i]!;
      if (Number.isNaN(want)) assert.ok(Number.isNaN(g), `expr ${i}: ${g} vs NaN`);
      else if (!Number.isFinite(want)) assert.is(g, want, `expr ${i}`);
      else assert.ok(Math.abs(g - want) <= 2e-6 * Math.abs(want) + 1e-38, `expr ${i} (env ${k}): ${g} vs ${want}`);
    });
  });
});

test.run();
