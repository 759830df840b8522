// Float64 reference of the whole denoiser (runtime/nn/models/): the DiT of MDLM/DUO and its causal
// autoregressive twin, forward and backward, composed from the reference ops in reference/nn.
// Parameters are named as in runtime/nn/models/params.ts and laid out as the GPU registry holds them:
// Linear weights [in, out] (y = x W + b, runtime/nn's Linear); checkpoints store them transposed.
//
// DiT, per block (N = B*L positions, d = hidden, chunks of mod = c W_ada^T + b_ada):
//   (shift1, scale1, gate1, shift2, scale2, gate2) = chunks of mod[b]
//   h1 = LN(x) * (1 + scale1) + shift1;  qkv = h1 Wqkv;  q, k rotated (half-split rotary)
//   o  = softmax(q k^T / sqrt(dh)) v  per head;  x1 = x + gate1 * drop(o Wout)
//   h2 = LN(x1) * (1 + scale2) + shift2; x2 = x1 + gate2 * drop(gelu(h2 W1 + b1) W2 + b2)
// c = silu(silu(temb(t) W1t + b1t) W2t + b2t), temb = [cos(t f), sin(t f)], f_i = 10000^(-i/half).
// Output: logits = (LN(x) * (1 + scale) + shift) Wlin + blin over the V real tokens.
// The AR model: no c, no modulation, plain residuals x1 = x + drop(...), and a causal mask.
// Sentence mode (batch.keyMask): the softmax also hides the keys at padding, in every layer.
import type { ModelConfig } from '../../../specs/types/checkpoint.ts';
import {
  attentionBackward, attentionForward, crossEntropy, dropoutMask, embeddingBackward, embeddingForward, geluBackward, geluForward,
  gatedResidualBackward, gatedResidualForward, layerNormBackward, layerNormForward, linearBackward as linBwd, linearForward as linFwd,
  modulateBackward, modulateForward, positionMask, ropeBackward, ropeForward, siluBackward, siluForward,
} from '../index.ts';

export type RefParams = ReadonlyMap<string, Float64Array>;

export interface RefBatch {
  B: number;
  L: number;
  /** [B * L] input token ids (mask = V for a DiT with a mask token). */
  ids: ArrayLike<number>;
  /** [B] the time (sigma or t, as the kernel defines) of each sequence; DiT only. */
  time?: ArrayLike<number>;
  /** Dropout key of this step; dropout is off when undefined or the config's rate is 0. */
  dropoutSeed?: number;
  /** [B * L] sentence mode: keys where it is 0 (padding) are hidden from every query. */
  keyMask?: ArrayLike<number>;
}

type F64 = Float64Array;

// ---- small helpers composed from the reference ops ----

/** y = x W (+ b): x [M, nIn], W [nIn, nOut] (runtime/nn's Linear layout). */
function linear(x: F64, W: F64, b: F64 | undefined, M: number, nOut: number, nIn: number): F64 {
  return linFwd(x, W, b, M, nIn, nOut);
}

/** Gradients of y = x W + b: dx = dy W^T, dW = x^T dy, db = column sums of dy. */
function linearBackward(x: F64, W: F64, dy: F64, M: number, nOut: number, nIn: number): { dx: F64; dW: F64; db: F64 } {
  return linBwd(x, W, dy, M, nIn, nOut);
}

/** Columns [c0, c0 + w) of a [rows, cols] matrix. */
function cols(x: F64, rows: number, ncols: number, c0: number, w: number): F64 {
  const out = new Float64Array(rows * w);
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) out[r * w + j] = x[r * ncols + c0 + j]!;
  return out;
}

function setCols(dst: F64, rows: number, ncols: number, c0: number, w: number, src: F64): void {
  for (let r = 0; r < rows; r++) for (let j = 0; j < w; j++) dst[r * ncols + c0 + j] = src[r * w + j]!;
}

function addInto(dst: F64, src: ArrayLike<number>): void {
  for (let i = 0; i < dst.length; i++) dst[i] = dst[i]! + src[i]!;
}

/** y = x * mask / (1 - p), the mask of reference/nn/dropout.ts (the shader's Philox words). */
function dropApply(x: F64, p: number, seed: number | undefined, stream: number): F64 {
  if (!(p > 0) || seed === undefined) return x;
  const keep = dropoutMask(x.length, p, seed, stream);
  const s = 1 / (1 - p);
  return x.map((v, i) => (keep[i] ? v * s : 0));
}

/** The dropout stream of site `site` (0 attention, 1 MLP) of block `layer`. */
export function dropoutStream(layer: number, site: 0 | 1): number {
  return 2 * layer + site;
}

/** [B, L, H, dh] <-> [B, H, L, dh] (the reference attention's layout); `back` inverts. */
function swapLH(x: F64, B: number, L: number, H: number, dh: number, back = false): F64 {
  const y = new Float64Array(x.length);
  for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
    const blh = ((b * L + l) * H + h) * dh;
    const bhl = ((b * H + h) * L + l) * dh;
    for (let e = 0; e < dh; e++) {
      if (back) y[blh + e] = x[bhl + e]!;
      else y[bhl + e] = x[blh + e]!;
    }
  }
  return y;
}

interface AttnOpts {
  causal: boolean;
  keyMask?: ArrayLike<number>;
}

/** Attention over [B, L, H, dh] tensors (positions-major, as the projections lay them out). */
function attention(q: F64, k: F64, v: F64, B: number, L: number, H: number, dh: number, opts: AttnOpts): F64 {
  const t = (x: F64) => swapLH(x, B, L, H, dh);
  return swapLH(attentionForward(t(q), t(k), t(v), B, H, L, dh, opts).o, B, L, H, dh, true);
}

function attentionGrads(q: F64, k: F64, v: F64, dout: F64, B: number, L: number, H: number, dh: number, opts: AttnOpts): { dq: F64; dk: F64; dv: F64 } {
  const t = (x: F64) => swapLH(x, B, L, H, dh);
  const g = attentionBackward(t(q), t(k), t(v), t(dout), B, H, L, dh, opts);
  const back = (x: F64) => swapLH(x, B, L, H, dh, true);
  return { dq: back(g.dq), dk: back(g.dk), dv: back(g.dv) };
}

/** MDLM's timestep_embedding: [cos(t f_0..f_{half-1}), sin(t f_0..)], f_i = exp(-ln(10000) i / half). */
export function timeEmbedding(time: ArrayLike<number>, dim: number): F64 {
  const half = dim / 2;
  const out = new Float64Array(time.length * dim);
  for (let b = 0; b < time.length; b++) {
    for (let i = 0; i < half; i++) {
      const a = time[b]! * Math.exp((-Math.log(10000) * i) / half);
      out[b * dim + i] = Math.cos(a);
      out[b * dim + half + i] = Math.sin(a);
    }
  }
  return out;
}

// ---- the model ----

interface BlockCache {
  x: F64;
  mod?: F64;
  h1: F64;
  h1m: F64;
  qr: F64;
  kr: F64;
  v: F64;
  o: F64;
  ad: F64;
  x1: F64;
  h2: F64;
  h2m: F64;
  u: F64;
  g: F64;
  md: F64;
}

export interface RefForward {
  /** [B * L, V] */
  logits: F64;
  cache: {
    batch: RefBatch;
    temb?: F64;
    z1?: F64;
    s1?: F64;
    z2?: F64;
    c?: F64;
    blocks: BlockCache[];
    xf: F64;
    modF?: F64;
    hf: F64;
    hfm: F64;
  };
}

function attnOpts(cfg: ModelConfig, batch: RefBatch): AttnOpts {
  return { causal: cfg.arch === 'ar', ...(batch.keyMask ? { keyMask: batch.keyMask } : {}) };
}

function P(params: RefParams, name: string): F64 {
  const p = params.get(name);
  if (!p) throw new Error(`reference model: parameter ${name} is missing`);
  return p;
}

export function referenceForward(cfg: ModelConfig, params: RefParams, batch: RefBatch): RefForward {
  const { B, L } = batch;
  const N = B * L;
  const d = cfg.hidden;
  const H = cfg.heads;
  const dh = d / H;
  const F = cfg.mlpRatio * d;
  const V = cfg.vocabSize;
  const Vin = P(params, 'vocab_embed.embedding').length / d;
  const eps = cfg.lnEps;
  const p = cfg.dropout;
  const seed = batch.dropoutSeed;
  const condDim = cfg.arch === 'dit' ? cfg.condDim : 0;

  let c: F64 | undefined;
  const cache: RefForward['cache'] = { batch, blocks: [], xf: new Float64Array(0), hf: new Float64Array(0), hfm: new Float64Array(0) };
  if (cfg.arch === 'dit') {
    const t = cfg.timeConditioning ? batch.time ?? [] : new Float64Array(B);
    if (t.length !== B) throw new Error(`reference model: ${t.length} times for ${B} sequences`);
    const temb = timeEmbedding(t, cfg.freqDim);
    const z1 = linear(temb, P(params, 'sigma_map.mlp.0.weight'), P(params, 'sigma_map.mlp.0.bias'), B, condDim, cfg.freqDim);
    const s1 = siluForward(z1);
    const z2 = linear(s1, P(params, 'sigma_map.mlp.2.weight'), P(params, 'sigma_map.mlp.2.bias'), B, condDim, condDim);
    c = siluForward(z2);
    Object.assign(cache, { temb, z1, s1, z2, c });
  }

  let x = embeddingForward(batch.ids, P(params, 'vocab_embed.embedding'), Vin, d);
  for (let layer = 0; layer < cfg.layers; layer++) {
    const pre = `blocks.${layer}`;
    const mod = c ? linear(c, P(params, `${pre}.adaLN_modulation.weight`), P(params, `${pre}.adaLN_modulation.bias`), B, 6 * d, condDim) : undefined;
    const chunk = (k: number) => cols(mod!, B, 6 * d, k * d, d);
    const h1 = layerNormForward(x, d, P(params, `${pre}.norm1.weight`), eps).y;
    const h1m = mod ? modulateForward(h1, chunk(0), chunk(1), B, L, d) : h1;
    const qkv = linear(h1m, P(params, `${pre}.attn_qkv.weight`), undefined, N, 3 * d, d);
    const opts = { base: cfg.ropeBase };
    const qr = ropeForward(cols(qkv, N, 3 * d, 0, d), B, L, H, dh, opts);
    const kr = ropeForward(cols(qkv, N, 3 * d, d, d), B, L, H, dh, opts);
    const v = cols(qkv, N, 3 * d, 2 * d, d);
    const o = attention(qr, kr, v, B, L, H, dh, attnOpts(cfg, batch));
    const a = linear(o, P(params, `${pre}.attn_out.weight`), undefined, N, d, d);
    const ad = dropApply(a, p, seed, dropoutStream(layer, 0));
    const x1 = mod ? gatedResidualForward(x, chunk(2), ad, B, L, d) : x.map((xv, i) => xv + ad[i]!);
    const h2 = layerNormForward(x1, d, P(params, `${pre}.norm2.weight`), eps).y;
    const h2m = mod ? modulateForward(h2, chunk(3), chunk(4), B, L, d) : h2;
    const u = linear(h2m, P(params, `${pre}.mlp.0.weight`), P(params, `${pre}.mlp.0.bias`), N, F, d);
    const g = geluForward(u);
    const m = linear(g, P(params, `${pre}.mlp.2.weight`), P(params, `${pre}.mlp.2.bias`), N, d, F);
    const md = dropApply(m, p, seed, dropoutStream(layer, 1));
    const x2 = mod ? gatedResidualForward(x1, chunk(5), md, B, L, d) : x1.map((xv, i) => xv + md[i]!);
    cache.blocks.push({ x, mod, h1, h1m, qr, kr, v, o, ad, x1, h2, h2m, u, g, md });
    x = x2;
  }
  const modF = c ? linear(c, P(params, 'output_layer.adaLN_modulation.weight'), P(params, 'output_layer.adaLN_modulation.bias'), B, 2 * d, condDim) : undefined;
  const hf = layerNormForward(x, d, P(params, 'output_layer.norm_final.weight'), eps).y;
  const hfm = modF ? modulateForward(hf, cols(modF, B, 2 * d, 0, d), cols(modF, B, 2 * d, d, d), B, L, d) : hf;
  const logits = linear(hfm, P(params, 'output_layer.linear.weight'), P(params, 'output_layer.linear.bias'), N, V, d);
  Object.assign(cache, { xf: x, modF, hf, hfm });
  return { logits, cache };
}

/** Gradients of sum(dlogits * logits) with respect to every parameter, by name. */
export function referenceBackward(cfg: ModelConfig, params: RefParams, fwd: RefForward, dlogits: F64): Map<string, F64> {
  const { batch } = fwd.cache;
  const { B, L } = batch;
  const N = B * L;
  const d = cfg.hidden;
  const H = cfg.heads;
  const dh = d / H;
  const F = cfg.mlpRatio * d;
  const V = cfg.vocabSize;
  const eps = cfg.lnEps;
  const p = cfg.dropout;
  const seed = batch.dropoutSeed;
  const grads = new Map<string, F64>();
  const condDim = cfg.arch === 'dit' ? cfg.condDim : 0;
  const cc = fwd.cache;
  const c = cc.c;
  const dc = c ? new Float64Array(c.length) : undefined;

  // Output layer.
  const lin = linearBackward(cc.hfm, P(params, 'output_layer.linear.weight'), dlogits, N, V, d);
  grads.set('output_layer.linear.weight', lin.dW);
  grads.set('output_layer.linear.bias', lin.db);
  let dhf = lin.dx;
  if (cc.modF && c && dc) {
    const mb = modulateBackward(cc.hf, lin.dx, cols(cc.modF, B, 2 * d, d, d), B, L, d);
    dhf = mb.dx;
    const dmod = new Float64Array(B * 2 * d);
    setCols(dmod, B, 2 * d, 0, d, mb.dshift);
    setCols(dmod, B, 2 * d, d, d, mb.dscale);
    const ab = linearBackward(c, P(params, 'output_layer.adaLN_modulation.weight'), dmod, B, 2 * d, condDim);
    grads.set('output_layer.adaLN_modulation.weight', ab.dW);
    grads.set('output_layer.adaLN_modulation.bias', ab.db);
    addInto(dc, ab.dx);
  }
  const lnf = layerNormBackward(cc.xf, dhf, d, P(params, 'output_layer.norm_final.weight'), eps);
  grads.set('output_layer.norm_final.weight', lnf.dgamma);
  let dx = lnf.dx;

  for (let layer = cfg.layers - 1; layer >= 0; layer--) {
    const pre = `blocks.${layer}`;
    const s = cc.blocks[layer]!;
    const chunk = (k: number) => cols(s.mod!, B, 6 * d, k * d, d);
    const dmod = s.mod ? new Float64Array(B * 6 * d) : undefined;
    // x2 = x1 + gate2 * md
    let dmd: F64;
    if (dmod) {
      const gb = gatedResidualBackward(s.md, chunk(5), dx, B, L, d);
      dmd = gb.dy;
      setCols(dmod, B, 6 * d, 5 * d, d, gb.dgate);
    } else dmd = dx;
    const dm = dropApply(dmd, p, seed, dropoutStream(layer, 1));
    const l2 = linearBackward(s.g, P(params, `${pre}.mlp.2.weight`), dm, N, d, F);
    grads.set(`${pre}.mlp.2.weight`, l2.dW);
    grads.set(`${pre}.mlp.2.bias`, l2.db);
    const du = geluBackward(s.u, l2.dx);
    const l1 = linearBackward(s.h2m, P(params, `${pre}.mlp.0.weight`), du, N, F, d);
    grads.set(`${pre}.mlp.0.weight`, l1.dW);
    grads.set(`${pre}.mlp.0.bias`, l1.db);
    let dh2 = l1.dx;
    if (dmod) {
      const mb = modulateBackward(s.h2, l1.dx, chunk(4), B, L, d);
      dh2 = mb.dx;
      setCols(dmod, B, 6 * d, 3 * d, d, mb.dshift);
      setCols(dmod, B, 6 * d, 4 * d, d, mb.dscale);
    }
    const ln2 = layerNormBackward(s.x1, dh2, d, P(params, `${pre}.norm2.weight`), eps);
    grads.set(`${pre}.norm2.weight`, ln2.dgamma);
    const dx1 = dx.map((v, i) => v + ln2.dx[i]!);
    // x1 = x + gate1 * ad
    let dad: F64;
    if (dmod) {
      const gb = gatedResidualBackward(s.ad, chunk(2), dx1, B, L, d);
      dad = gb.dy;
      setCols(dmod, B, 6 * d, 2 * d, d, gb.dgate);
    } else dad = dx1;
    const da = dropApply(dad, p, seed, dropoutStream(layer, 0));
    const lo = linearBackward(s.o, P(params, `${pre}.attn_out.weight`), da, N, d, d);
    grads.set(`${pre}.attn_out.weight`, lo.dW);
    const ab = attentionGrads(s.qr, s.kr, s.v, lo.dx, B, L, H, dh, attnOpts(cfg, batch));
    const opts = { base: cfg.ropeBase };
    const dqkv = new Float64Array(N * 3 * d);
    setCols(dqkv, N, 3 * d, 0, d, ropeBackward(ab.dq, B, L, H, dh, opts));
    setCols(dqkv, N, 3 * d, d, d, ropeBackward(ab.dk, B, L, H, dh, opts));
    setCols(dqkv, N, 3 * d, 2 * d, d, ab.dv);
    const lq = linearBackward(s.h1m, P(params, `${pre}.attn_qkv.weight`), dqkv, N, 3 * d, d);
    grads.set(`${pre}.attn_qkv.weight`, lq.dW);
    let dh1 = lq.dx;
    if (dmod) {
      const mb = modulateBackward(s.h1, lq.dx, chunk(1), B, L, d);
      dh1 = mb.dx;
      setCols(dmod, B, 6 * d, 0, d, mb.dshift);
      setCols(dmod, B, 6 * d, d, d, mb.dscale);
    }
    const ln1 = layerNormBackward(s.x, dh1, d, P(params, `${pre}.norm1.weight`), eps);
    grads.set(`${pre}.norm1.weight`, ln1.dgamma);
    dx = dx1.map((v, i) => v + ln1.dx[i]!);
    if (dmod && c && dc) {
      const ad = linearBackward(c, P(params, `${pre}.adaLN_modulation.weight`), dmod, B, 6 * d, condDim);
      grads.set(`${pre}.adaLN_modulation.weight`, ad.dW);
      grads.set(`${pre}.adaLN_modulation.bias`, ad.db);
      addInto(dc, ad.dx);
    }
  }
  const Vin = P(params, 'vocab_embed.embedding').length / d;
  grads.set('vocab_embed.embedding', embeddingBackward(batch.ids, dx, Vin, d));

  if (cfg.arch === 'dit' && dc && cc.z2 && cc.s1 && cc.z1 && cc.temb) {
    const dz2 = siluBackward(cc.z2, dc);
    const l2 = linearBackward(cc.s1, P(params, 'sigma_map.mlp.2.weight'), dz2, B, condDim, condDim);
    grads.set('sigma_map.mlp.2.weight', l2.dW);
    grads.set('sigma_map.mlp.2.bias', l2.db);
    const dz1 = siluBackward(cc.z1, l2.dx);
    const l1 = linearBackward(cc.temb, P(params, 'sigma_map.mlp.0.weight'), dz1, B, condDim, cfg.freqDim);
    grads.set('sigma_map.mlp.0.weight', l1.dW);
    grads.set('sigma_map.mlp.0.bias', l1.db);
  }
  return grads;
}

/**
 * Mean softmax cross-entropy of the logits against `targets` (rows whose target is outside [0, V)
 * are ignored but still count in the mean's denominator N = B * L), and its gradients. With
 * `lossMask` [N] (sentence mode), each row's loss and gradient are scaled by it afterwards, as
 * runtime/nn's positionMask does (0 at padding).
 */
export function referenceLoss(
  cfg: ModelConfig, params: RefParams, batch: RefBatch, targets: ArrayLike<number>, lossMask?: ArrayLike<number>,
): { loss: number; logits: F64; grads: Map<string, F64> } {
  const fwd = referenceForward(cfg, params, batch);
  const N = batch.B * batch.L;
  const ce = crossEntropy(fwd.logits, targets, cfg.vocabSize, { scale: 1 / N });
  const rows = lossMask ? positionMask(ce.loss, lossMask, 1) : ce.loss;
  const dlogits = lossMask ? positionMask(ce.dlogits, lossMask, cfg.vocabSize) : ce.dlogits;
  let loss = 0;
  for (const v of rows) loss += v;
  return { loss: loss / N, logits: fwd.logits, grads: referenceBackward(cfg, params, fwd, dlogits) };
}
