// The denoiser on the GPU: MDLM's/DUO's DiT (bidirectional, adaLN-zero conditioned on the time)
// and its causal autoregressive twin, built from the ops of runtime/nn and the matmul. The math is
// written out in reference/nn/models/dit.ts (the float64 reference the tests compare with).
//
// A training step records forward and backward into ONE command buffer (the caller's Recorder;
// one submit per step). Activations are temps of that recording: they come from the recorder's
// pool, live until the submit, and the pool's LIFO free lists hand the same buffers out every
// step, so bind groups keep hitting. Parameters and gradients live in the flat buffers of a
// ParamRegistry; backward WRITES every parameter's gradient (each parameter is used once per
// step), so no clearing pass is needed.
//
// Layouts: activations are [B, L, d] row-major (= [N, d], N = B*L). The fused QKV projection is
// [B, L, 3, H, dh] (MDLM's 'b s (three h d)'); rotary is applied in place to its q and k parts,
// and attention reads q, k, v as strided [B, H, L, dh] views of it and writes O as a view of a
// [B, L, H, dh] = [N, d] buffer, so no transposes are materialised.
import { BufferPool, type Gpu, type Recorder } from '../../gpu/index.ts';
import { prepareMatmul, type MatmulShape } from '../matmul/index.ts';
import { NnError } from '../errors.ts';
import { attentionBackward, attentionForward } from '../ops/attention.ts';
import { dropoutBackward, dropoutForward } from '../ops/dropout.ts';
import { add, geluBackward, geluForward, siluBackward, siluForward } from '../ops/elementwise.ts';
import { embeddingBackward, embeddingForward } from '../ops/embedding.ts';
import { layerNormBackward, layerNormForward, type LayerNormSaved } from '../ops/layernorm.ts';
import { gatedResidualBackward, gatedResidualForward, modulateBackward, modulateForward } from '../ops/modulate.ts';
import { createRopeTable, ropeBackward, ropeForward } from '../ops/rope.ts';
import { chunkLast, numel, reshape, tempTensor, type Tensor } from '../tensor.ts';
import { checkModelConfig, inputVocab, type ModelConfig } from './config.ts';
import { biasGrad, linearForward, linearInputGrad, linearWeightGrad, Ones, type LinearDims } from './linear.ts';
import { modelParams, type ParamSpec } from './params.ts';
import { ParamRegistry } from './registry.ts';
import { timeEmbedding } from './time.ts';

export interface ModelInputs {
  readonly B: number;
  readonly L: number;
  /** u32 token ids, B*L of them (the [MASK] id is V for a DiT with a mask token). */
  readonly ids: Tensor;
  /** DiT: each sequence's time (sigma or t, as the kernel defines), [B]. Ignored when time conditioning is off. */
  readonly time?: ArrayLike<number>;
  /** Turns dropout on (when the config's rate is > 0): the Philox key of this step's masks. */
  readonly dropoutSeed?: number;
}

/** The dropout stream of site `site` (0 attention, 1 MLP) of block `layer` (as reference/nn/models). */
export function dropoutStream(layer: number, site: 0 | 1): number {
  return 2 * layer + site;
}

interface BlockSaved {
  x: Tensor;
  mod?: Tensor;
  ln1: LayerNormSaved;
  h1: Tensor;
  h1m: Tensor;
  qkv: Tensor;
  o: Tensor;
  lse: Tensor;
  ad: Tensor;
  x1: Tensor;
  ln2: LayerNormSaved;
  h2: Tensor;
  h2m: Tensor;
  u: Tensor;
  g: Tensor;
  md: Tensor;
}

/** What forward saved for backward (temps of the recording: backward must be recorded before its submit). */
export interface ForwardPass {
  readonly inputs: ModelInputs;
  /** [B, L, V] logits over the real tokens (a temp of the recording). */
  readonly logits: Tensor;
  readonly ids: Tensor;
  readonly time?: { temb: Tensor; z1: Tensor; s1: Tensor; z2: Tensor; c: Tensor };
  readonly blocks: BlockSaved[];
  readonly xf: Tensor;
  readonly modF?: Tensor;
  readonly lnf: LayerNormSaved;
  readonly hf: Tensor;
  readonly hfm: Tensor;
  readonly dropout: boolean;
}

export class TransformerModel {
  readonly registry: ParamRegistry;
  readonly specs: readonly ParamSpec[];
  readonly causal: boolean;
  private readonly ones: Ones;
  private readonly pool: BufferPool;
  private ropeTable: Tensor | undefined;
  private retiredTables: Tensor[] = [];

  constructor(readonly gpu: Gpu, readonly cfg: ModelConfig, opts: { seed?: number } = {}) {
    checkModelConfig(cfg);
    this.causal = cfg.arch === 'ar';
    this.specs = modelParams(cfg);
    this.registry = new ParamRegistry(gpu, this.specs, cfg.arch);
    this.ones = new Ones(gpu);
    this.pool = new BufferPool(gpu);
    this.init(opts.seed ?? 0);
  }

  /** Parameters that belong to tensors (padding excluded). */
  get parameterCount(): number {
    return this.registry.count;
  }

  /** Re-initialises every parameter from `seed` (runtime/nn/models/init.ts). */
  init(seed: number): void {
    this.registry.upload(this.registry.initialValues(seed));
  }

  private table(L: number): Tensor {
    const dh = this.cfg.hidden / this.cfg.heads;
    if (!this.ropeTable || this.ropeTable.shape[0]! < L) {
      if (this.ropeTable) this.retiredTables.push(this.ropeTable);
      const rows = Math.max(L, 2 * (this.ropeTable?.shape[0] ?? 0), 128);
      this.ropeTable = createRopeTable(this.pool, rows, dh, this.cfg.ropeBase);
    }
    return this.ropeTable;
  }

  private p(name: string): Tensor {
    return this.registry.param(name);
  }

  private gr(name: string): Tensor {
    return this.registry.grad(name);
  }

  private dims(inp: ModelInputs) {
    const { B, L } = inp;
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(L) || L < 1) throw new NnError('model', 'inputs', `B and L must be positive integers, got ${B}, ${L}`);
    const d = this.cfg.hidden;
    const H = this.cfg.heads;
    return { B, L, N: B * L, d, H, dh: d / H, F: this.cfg.mlpRatio * d, V: this.cfg.vocabSize };
  }

  /** Records the forward pass; returns the logits and what backward needs. */
  forward(rec: Recorder, inp: ModelInputs): ForwardPass {
    const cfg = this.cfg;
    const { B, L, N, d, H, dh, F, V } = this.dims(inp);
    if (numel(inp.ids.shape) !== N) throw new NnError('model', 'ids', `expected ${N} token ids (B ${B} x L ${L}), got [${inp.ids.shape}]`);
    if (inp.ids.dtype !== 'u32') throw new NnError('model', 'ids', `expected u32 ids, got ${inp.ids.dtype}`);
    const ids = reshape(inp.ids, [B, L]);
    const dropout = cfg.dropout > 0 && inp.dropoutSeed !== undefined;
    const T = (shape: number[], label: string) => tempTensor(rec, shape, 'f32', label);
    const eps = cfg.lnEps;

    let time: ForwardPass['time'];
    if (cfg.arch === 'dit') {
      const t = cfg.timeConditioning ? inp.time : new Float64Array(B);
      if (!t || t.length !== B) throw new NnError('model', 'time', `expected ${B} times (one per sequence), got ${t ? t.length : 'none'}`);
      const cd = cfg.condDim;
      const temb = T([B, cfg.freqDim], 'time embedding');
      rec.upload(temb, timeEmbedding(t, cfg.freqDim));
      const z1 = T([B, cd], 'time z1');
      linearForward(rec, temb, this.p('sigma_map.mlp.0.weight'), this.p('sigma_map.mlp.0.bias'), z1, { M: B, nIn: cfg.freqDim, nOut: cd });
      const s1 = T([B, cd], 'time s1');
      siluForward(rec, z1, s1);
      const z2 = T([B, cd], 'time z2');
      linearForward(rec, s1, this.p('sigma_map.mlp.2.weight'), this.p('sigma_map.mlp.2.bias'), z2, { M: B, nIn: cd, nOut: cd });
      const c = T([B, cd], 'c');
      siluForward(rec, z2, c);
      time = { temb, z1, s1, z2, c };
    }
    const c = time?.c;
    const condDim = cfg.arch === 'dit' ? cfg.condDim : 0;

    let x = T([B, L, d], 'x');
    embeddingForward(rec, { ids, table: this.p('vocab_embed.embedding'), out: x });
    const table = this.table(L);
    const blocks: BlockSaved[] = [];
    for (let layer = 0; layer < cfg.layers; layer++) {
      const pre = `blocks.${layer}`;
      let mod: Tensor | undefined;
      let ch: Tensor[] = [];
      if (c) {
        mod = T([B, 6 * d], 'adaLN');
        linearForward(rec, c, this.p(`${pre}.adaLN_modulation.weight`), this.p(`${pre}.adaLN_modulation.bias`), mod, { M: B, nIn: condDim, nOut: 6 * d });
        ch = chunkLast(mod, 6);
      }
      const h1 = T([B, L, d], 'h1');
      const ln1 = layerNormForward(rec, { x, y: h1, gamma: this.p(`${pre}.norm1.weight`), eps });
      let h1m = h1;
      if (mod) {
        h1m = T([B, L, d], 'h1m');
        modulateForward(rec, { x: h1, shift: ch[0]!, scale: ch[1]!, y: h1m });
      }
      const qkv = T([B, L, 3 * d], 'qkv');
      linearForward(rec, h1m, this.p(`${pre}.attn_qkv.weight`), undefined, qkv, { M: N, nIn: d, nOut: 3 * d });
      const v5 = qkvViews(qkv, B, L, H, dh);
      ropeForward(rec, { x: v5.qBLHD, y: v5.qBLHD, table });
      ropeForward(rec, { x: v5.kBLHD, y: v5.kBLHD, table });
      const o = T([B, L, d], 'attn o');
      const lse = attentionForward(rec, { q: v5.q, k: v5.k, v: v5.v, o: headsView(o, B, L, H, dh), causal: this.causal });
      const a = T([B, L, d], 'attn out');
      linearForward(rec, o, this.p(`${pre}.attn_out.weight`), undefined, a, { M: N, nIn: d, nOut: d });
      let ad = a;
      if (dropout) {
        ad = T([B, L, d], 'attn drop');
        dropoutForward(rec, { x: a, y: ad, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, 0) });
      }
      const x1 = T([B, L, d], 'x1');
      if (mod) gatedResidualForward(rec, { x, gate: ch[2]!, y: ad, out: x1 });
      else add(rec, x, ad, x1);
      const h2 = T([B, L, d], 'h2');
      const ln2 = layerNormForward(rec, { x: x1, y: h2, gamma: this.p(`${pre}.norm2.weight`), eps });
      let h2m = h2;
      if (mod) {
        h2m = T([B, L, d], 'h2m');
        modulateForward(rec, { x: h2, shift: ch[3]!, scale: ch[4]!, y: h2m });
      }
      const u = T([B, L, F], 'mlp u');
      linearForward(rec, h2m, this.p(`${pre}.mlp.0.weight`), this.p(`${pre}.mlp.0.bias`), u, { M: N, nIn: d, nOut: F });
      const g = T([B, L, F], 'mlp g');
      geluForward(rec, u, g);
      const m = T([B, L, d], 'mlp out');
      linearForward(rec, g, this.p(`${pre}.mlp.2.weight`), this.p(`${pre}.mlp.2.bias`), m, { M: N, nIn: F, nOut: d });
      let md = m;
      if (dropout) {
        md = T([B, L, d], 'mlp drop');
        dropoutForward(rec, { x: m, y: md, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, 1) });
      }
      const x2 = T([B, L, d], 'x2');
      if (mod) gatedResidualForward(rec, { x: x1, gate: ch[5]!, y: md, out: x2 });
      else add(rec, x1, md, x2);
      blocks.push({ x, mod, ln1, h1, h1m, qkv, o, lse, ad, x1, ln2, h2, h2m, u, g, md });
      x = x2;
    }

    let modF: Tensor | undefined;
    if (c) {
      modF = T([B, 2 * d], 'adaLN final');
      linearForward(rec, c, this.p('output_layer.adaLN_modulation.weight'), this.p('output_layer.adaLN_modulation.bias'), modF, { M: B, nIn: condDim, nOut: 2 * d });
    }
    const hf = T([B, L, d], 'hf');
    const lnf = layerNormForward(rec, { x, y: hf, gamma: this.p('output_layer.norm_final.weight'), eps });
    let hfm = hf;
    if (modF) {
      const [shift, scale] = chunkLast(modF, 2) as [Tensor, Tensor];
      hfm = T([B, L, d], 'hfm');
      modulateForward(rec, { x: hf, shift, scale, y: hfm });
    }
    const logits = T([B, L, V], 'logits');
    linearForward(rec, hfm, this.p('output_layer.linear.weight'), this.p('output_layer.linear.bias'), logits, { M: N, nIn: d, nOut: V });
    return { inputs: inp, logits, ids, ...(time ? { time } : {}), blocks, xf: x, ...(modF ? { modF } : {}), lnf, hf, hfm, dropout };
  }

  /**
   * Records the backward pass of `fwd` (same recording) for the loss whose gradient with respect
   * to the logits is `dlogits` ([B, L, V]; it may be the logits tensor itself, overwritten in place
   * by the loss). Writes every parameter's gradient into the registry.
   */
  backward(rec: Recorder, fwd: ForwardPass, dlogits: Tensor): void {
    const cfg = this.cfg;
    const inp = fwd.inputs;
    const { B, L, N, d, H, dh, F, V } = this.dims(inp);
    if (numel(dlogits.shape) !== N * V) throw new NnError('model.backward', 'dlogits', `expected [${B}, ${L}, ${V}], got [${dlogits.shape}]`);
    const T = (shape: number[], label: string) => tempTensor(rec, shape, 'f32', label);
    const onesN = this.ones.get(Math.max(N, B));
    const condDim = cfg.arch === 'dit' ? cfg.condDim : 0;
    const c = fwd.time?.c;
    const table = this.table(L);

    // Output layer: logits = hfm Wlin^T + blin.
    const outDims: LinearDims = { M: N, nIn: d, nOut: V };
    linearWeightGrad(rec, dlogits, fwd.hfm, this.gr('output_layer.linear.weight'), outDims);
    biasGrad(rec, dlogits, onesN, this.gr('output_layer.linear.bias'), outDims);
    const dhfm = T([B, L, d], 'd hfm');
    linearInputGrad(rec, dlogits, this.p('output_layer.linear.weight'), dhfm, outDims);
    let dhf = dhfm;
    let dc: Tensor | undefined;
    if (fwd.modF && c) {
      const dmodF = T([B, 2 * d], 'd adaLN final');
      const [dshift, dscale] = chunkLast(dmodF, 2) as [Tensor, Tensor];
      dhf = T([B, L, d], 'd hf');
      modulateBackward(rec, { x: fwd.hf, dy: dhfm, scale: chunkLast(fwd.modF, 2)[1]!, dx: dhf, dshift, dscale });
      dc = T([B, condDim], 'd c');
      this.adaLNBackward(rec, 'output_layer.adaLN_modulation', dmodF, c, dc, { M: B, nIn: condDim, nOut: 2 * d }, onesN, false);
    }
    // dx: the gradient flowing down the residual stream, accumulated in place block by block.
    const dx = T([B, L, d], 'd x');
    layerNormBackward(rec, { x: fwd.xf, dy: dhf, dx, saved: fwd.lnf, gamma: this.p('output_layer.norm_final.weight'), dgamma: this.gr('output_layer.norm_final.weight') });

    for (let layer = cfg.layers - 1; layer >= 0; layer--) {
      const pre = `blocks.${layer}`;
      const s = fwd.blocks[layer]!;
      const ch = s.mod ? chunkLast(s.mod, 6) : [];
      const dmod = s.mod ? T([B, 6 * d], 'd adaLN') : undefined;
      const dch = dmod ? chunkLast(dmod, 6) : [];

      // x2 = x1 + gate2 * md
      let dmd = dx;
      if (dmod) {
        dmd = T([B, L, d], 'd mlp drop');
        gatedResidualBackward(rec, { y: s.md, gate: ch[5]!, dout: dx, dy: dmd, dgate: dch[5]! });
      }
      let dm = dmd;
      if (fwd.dropout) {
        dm = T([B, L, d], 'd mlp out');
        dropoutBackward(rec, { x: dmd, y: dm, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, 1) });
      }
      const d2: LinearDims = { M: N, nIn: F, nOut: d };
      linearWeightGrad(rec, dm, s.g, this.gr(`${pre}.mlp.2.weight`), d2);
      biasGrad(rec, dm, onesN, this.gr(`${pre}.mlp.2.bias`), d2);
      const dg = T([B, L, F], 'd mlp g');
      linearInputGrad(rec, dm, this.p(`${pre}.mlp.2.weight`), dg, d2);
      const du = T([B, L, F], 'd mlp u');
      geluBackward(rec, s.u, dg, du);
      const d1: LinearDims = { M: N, nIn: d, nOut: F };
      linearWeightGrad(rec, du, s.h2m, this.gr(`${pre}.mlp.0.weight`), d1);
      biasGrad(rec, du, onesN, this.gr(`${pre}.mlp.0.bias`), d1);
      const dh2m = T([B, L, d], 'd h2m');
      linearInputGrad(rec, du, this.p(`${pre}.mlp.0.weight`), dh2m, d1);
      let dh2 = dh2m;
      if (dmod) {
        dh2 = T([B, L, d], 'd h2');
        modulateBackward(rec, { x: s.h2, dy: dh2m, scale: ch[4]!, dx: dh2, dshift: dch[3]!, dscale: dch[4]! });
      }
      layerNormBackward(rec, { x: s.x1, dy: dh2, dx, saved: s.ln2, gamma: this.p(`${pre}.norm2.weight`), dgamma: this.gr(`${pre}.norm2.weight`), accumulate: true });

      // x1 = x + gate1 * ad
      let dad = dx;
      if (dmod) {
        dad = T([B, L, d], 'd attn drop');
        gatedResidualBackward(rec, { y: s.ad, gate: ch[2]!, dout: dx, dy: dad, dgate: dch[2]! });
      }
      let da = dad;
      if (fwd.dropout) {
        da = T([B, L, d], 'd attn out');
        dropoutBackward(rec, { x: dad, y: da, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, 0) });
      }
      const dOut: LinearDims = { M: N, nIn: d, nOut: d };
      linearWeightGrad(rec, da, s.o, this.gr(`${pre}.attn_out.weight`), dOut);
      const dO = T([B, L, d], 'd attn o');
      linearInputGrad(rec, da, this.p(`${pre}.attn_out.weight`), dO, dOut);
      const v5 = qkvViews(s.qkv, B, L, H, dh);
      const dqkv = T([B, L, 3 * d], 'd qkv');
      const g5 = qkvViews(dqkv, B, L, H, dh);
      attentionBackward(rec, {
        q: v5.q, k: v5.k, v: v5.v, o: headsView(s.o, B, L, H, dh), lse: s.lse, dout: headsView(dO, B, L, H, dh),
        dq: g5.q, dk: g5.k, dv: g5.v, causal: this.causal,
      });
      ropeBackward(rec, { x: g5.qBLHD, y: g5.qBLHD, table });
      ropeBackward(rec, { x: g5.kBLHD, y: g5.kBLHD, table });
      const dQkv: LinearDims = { M: N, nIn: d, nOut: 3 * d };
      linearWeightGrad(rec, dqkv, s.h1m, this.gr(`${pre}.attn_qkv.weight`), dQkv);
      const dh1m = T([B, L, d], 'd h1m');
      linearInputGrad(rec, dqkv, this.p(`${pre}.attn_qkv.weight`), dh1m, dQkv);
      let dh1 = dh1m;
      if (dmod) {
        dh1 = T([B, L, d], 'd h1');
        modulateBackward(rec, { x: s.h1, dy: dh1m, scale: ch[1]!, dx: dh1, dshift: dch[0]!, dscale: dch[1]! });
      }
      layerNormBackward(rec, { x: s.x, dy: dh1, dx, saved: s.ln1, gamma: this.p(`${pre}.norm1.weight`), dgamma: this.gr(`${pre}.norm1.weight`), accumulate: true });
      if (dmod && c && dc) this.adaLNBackward(rec, `${pre}.adaLN_modulation`, dmod, c, dc, { M: B, nIn: condDim, nOut: 6 * d }, onesN, true);
    }
    embeddingBackward(rec, { ids: fwd.ids, dout: dx, dtable: this.gr('vocab_embed.embedding') });

    if (cfg.arch === 'dit' && fwd.time && dc) {
      const { temb, z1, s1, z2 } = fwd.time;
      const cd = cfg.condDim;
      const dz2 = tempTensor(rec, [B, cd], 'f32', 'd time z2');
      siluBackward(rec, z2, dc, dz2);
      const t2: LinearDims = { M: B, nIn: cd, nOut: cd };
      linearWeightGrad(rec, dz2, s1, this.gr('sigma_map.mlp.2.weight'), t2);
      biasGrad(rec, dz2, onesN, this.gr('sigma_map.mlp.2.bias'), t2);
      const ds1 = tempTensor(rec, [B, cd], 'f32', 'd time s1');
      linearInputGrad(rec, dz2, this.p('sigma_map.mlp.2.weight'), ds1, t2);
      const dz1 = tempTensor(rec, [B, cd], 'f32', 'd time z1');
      siluBackward(rec, z1, ds1, dz1);
      const t1: LinearDims = { M: B, nIn: cfg.freqDim, nOut: cd };
      linearWeightGrad(rec, dz1, temb, this.gr('sigma_map.mlp.0.weight'), t1);
      biasGrad(rec, dz1, onesN, this.gr('sigma_map.mlp.0.bias'), t1);
    }
  }

  /** Gradients of an adaLN projection mod = c W^T + b: dW, db, and dc (written, or added with `accumulate`). */
  private adaLNBackward(rec: Recorder, name: string, dmod: Tensor, c: Tensor, dc: Tensor, dims: LinearDims, ones: Tensor, accumulate: boolean): void {
    linearWeightGrad(rec, dmod, c, this.gr(`${name}.weight`), dims);
    biasGrad(rec, dmod, ones, this.gr(`${name}.bias`), dims);
    linearInputGrad(rec, dmod, this.p(`${name}.weight`), dc, dims, accumulate);
  }

  /** Every matmul shape of a step at (B, L): compile (and autotune) them ahead of time. */
  matmulShapes(B: number, L: number): MatmulShape[] {
    const cfg = this.cfg;
    const N = B * L;
    const d = cfg.hidden;
    const F = cfg.mlpRatio * d;
    const out: MatmulShape[] = [];
    const lin = (M: number, nIn: number, nOut: number, bias: boolean) => {
      out.push({ M, N: nOut, K: nIn, transB: true, hasBias: bias });
      out.push({ M, N: nIn, K: nOut });
      out.push({ M: nOut, N: nIn, K: M, transA: true });
      if (bias) out.push({ M: 1, N: nOut, K: M });
    };
    if (cfg.arch === 'dit') {
      lin(B, cfg.freqDim, cfg.condDim, true);
      lin(B, cfg.condDim, cfg.condDim, true);
      lin(B, cfg.condDim, 6 * d, true);
      lin(B, cfg.condDim, 2 * d, true);
      out.push({ M: B, N: cfg.condDim, K: 6 * d, accumulate: true });
    }
    lin(N, d, 3 * d, false);
    lin(N, d, d, false);
    lin(N, d, F, true);
    lin(N, F, d, true);
    lin(N, d, cfg.vocabSize, true);
    const seen = new Set<string>();
    return out.filter((s) => {
      const k = JSON.stringify(s);
      return seen.has(k) ? false : (seen.add(k), true);
    });
  }

  /** Compiles every pipeline a step at (B, L) needs, so a timed step never compiles. */
  async prepare(B: number, L: number): Promise<void> {
    for (const s of this.matmulShapes(B, L)) await prepareMatmul(this.gpu, s);
  }

  /** The model's input vocabulary (rows of the embedding). */
  get inputVocab(): number {
    return inputVocab(this.cfg);
  }

  destroy(): void {
    this.registry.destroy();
    this.ones.destroy();
    if (this.ropeTable) this.pool.release(this.ropeTable.buffer);
    for (const t of this.retiredTables) this.pool.release(t.buffer);
    this.pool.trim();
  }
}

/** The q, k, v parts of a fused [B, L, 3, H, dh] projection as [B, H, L, dh] views, and q, k as [B, L, H, dh] views (for rotary). */
function qkvViews(qkv: Tensor, B: number, L: number, H: number, dh: number) {
  const d = H * dh;
  const bs = L * 3 * d;
  const view = (part: number, shape: number[], strides: number[]): Tensor => ({ buffer: qkv.buffer, offset: qkv.offset + part * d, shape, dtype: 'f32', strides });
  const bhld = (part: number) => view(part, [B, H, L, dh], [bs, dh, 3 * d, 1]);
  const blhd = (part: number) => view(part, [B, L, H, dh], [bs, 3 * d, dh, 1]);
  return { q: bhld(0), k: bhld(1), v: bhld(2), qBLHD: blhd(0), kBLHD: blhd(1) };
}

/** A dense [B, L, H*dh] tensor seen as [B, H, L, dh]. */
function headsView(t: Tensor, B: number, L: number, H: number, dh: number): Tensor {
  const d = H * dh;
  return { buffer: t.buffer, offset: t.offset, shape: [B, H, L, dh], dtype: 'f32', strides: [L * d, dh, d, 1] };
}
