// The denoiser on the GPU: MDLM's/DUO's DiT (bidirectional, adaLN-zero conditioned on the time)
// and its causal autoregressive twin, built from the ops of runtime/nn and the matmul. The math is
// written out in reference/nn/models/dit.ts (the float64 reference the tests compare with).
//
// A training step records forward and backward into ONE command buffer (the caller's Recorder;
// one submit per step). Activations are temps of that recording: they come from the recorder's
// pool, live until the submit, and the pool's LIFO free lists hand the same buffers out every
// step, so bind groups keep hitting. Parameters and gradients live in the flat buffers of
// runtime/nn's ParamRegistry, and backward ADDS into the gradients (runtime/nn's convention:
// `registry.zeroGrads(rec)` starts a step; several micro-batches may accumulate).
//
// Layouts: activations are [B, L, d] row-major (= [N, d], N = B*L). The fused QKV projection is
// [B, L, 3, H, dh] (MDLM's 'b s (three h d)'); rotary is applied in place to its q and k parts,
// and attention reads q, k, v as strided [B, H, L, dh] views of it and writes O as a view of a
// [B, L, H, dh] = [N, d] buffer, so no transposes are materialised.
import type { Gpu, Recorder } from '../../gpu/index.ts';
import {
  add, attentionBackward, attentionForward, BufferPool, chunkLast, createRopeTable, dropoutBackward, dropoutForward,
  embeddingBackward, embeddingForward, gatedResidualBackward, gatedResidualForward, geluBackward, geluForward, layerNormBackward,
  isContiguous, layerNormForward, Linear, modulateBackward, modulateForward, NnError, numel, ParamRegistry, reshape, ropeBackward, ropeForward,
  siluBackward, siluForward, tempTensor, type LayerNormSaved, type Param, type Tensor,
} from '../index.ts';
import { checkModelConfig, inputVocab, type ModelConfig } from './config.ts';
import { modelTensors, registryShape, type TensorSpec } from './params.ts';
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
  /**
   * Sentence mode: dense f32 [B, L] (or B*L), 1 at real positions, 0 at padding, in its own buffer.
   * No query attends to a padded key (every layer, forward and backward); padded positions still
   * get logits, which the loss must mask (crossEntropy weights, positionMask).
   */
  readonly keyMask?: Tensor;
}

/**
 * The most sequences of length L one forward (or backward) pass takes on a device: every per-token
 * tensor (the [B L, V] logits, the [B L, 4d] MLP activations, the [B L, 3d] qkv) must fit one
 * storage binding (128 MiB on lavapipe; larger on most GPUs). Callers split bigger batches.
 */
export function maxSequencesPerCall(limits: { maxStorageBufferBindingSize: number }, cfg: ModelConfig, L: number): number {
  const width = Math.max(cfg.vocabSize, cfg.mlpRatio * cfg.hidden, 3 * cfg.hidden);
  return Math.floor(limits.maxStorageBufferBindingSize / (4 * L * width));
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

/** Linear layers of one block. */
interface BlockLayers {
  norm1: Param;
  qkv: Linear;
  out: Linear;
  norm2: Param;
  mlp0: Linear;
  mlp2: Linear;
  ada?: Linear;
}

/**
 * Initialisation (MDLM's choices, with runtime/nn's seeded generators, init.ts there): the
 * embedding U(-1/sqrt(d), 1/sqrt(d)) (PyTorch's kaiming_uniform(a = sqrt 5) that MDLM uses);
 * Linear weights normal with std 1/sqrt(3 fan_in) truncated at 3 std (the variance of PyTorch's
 * default), biases 0; LayerNorm scales 1; every adaLN projection and the output layer ZERO
 * (adaLN-zero: each block starts as the identity; the first logits are uniform).
 */
export class TransformerModel {
  readonly registry: ParamRegistry;
  /** The checkpoint's tensors (PyTorch names and shapes). */
  readonly tensors: readonly TensorSpec[];
  readonly causal: boolean;
  private readonly embed: Param;
  private readonly time?: { mlp0: Linear; mlp2: Linear };
  private readonly blocks: BlockLayers[] = [];
  private readonly final: { norm: Param; linear: Linear; ada?: Linear };
  private readonly pool: BufferPool;
  private ropeTable: Tensor | undefined;
  private retiredTables: Tensor[] = [];

  constructor(readonly gpu: Gpu, readonly cfg: ModelConfig, opts: { seed?: number } = {}) {
    checkModelConfig(cfg);
    this.causal = cfg.arch === 'ar';
    const reg = (this.registry = new ParamRegistry(gpu, opts.seed ?? 0));
    const d = cfg.hidden;
    const F = cfg.mlpRatio * d;
    const lin = (name: string, nIn: number, nOut: number, o: { bias?: boolean; zero?: boolean } = {}) =>
      new Linear(reg, name, nIn, nOut, { bias: o.bias ?? true, std: o.zero ? 0 : 1 / Math.sqrt(3 * nIn) });
    const norm = (name: string) => reg.add(name, { shape: [d], init: { kind: 'ones' } });
    this.embed = reg.add('vocab_embed.embedding', { shape: [inputVocab(cfg), d], init: { kind: 'uniform', bound: 1 / Math.sqrt(d) } });
    const cd = cfg.arch === 'dit' ? cfg.condDim : 0;
    if (cfg.arch === 'dit') this.time = { mlp0: lin('sigma_map.mlp.0', cfg.freqDim, cd), mlp2: lin('sigma_map.mlp.2', cd, cd) };
    for (let i = 0; i < cfg.layers; i++) {
      const p = `blocks.${i}`;
      this.blocks.push({
        norm1: norm(`${p}.norm1.weight`),
        qkv: lin(`${p}.attn_qkv`, d, 3 * d, { bias: false }),
        out: lin(`${p}.attn_out`, d, d, { bias: false }),
        norm2: norm(`${p}.norm2.weight`),
        mlp0: lin(`${p}.mlp.0`, d, F),
        mlp2: lin(`${p}.mlp.2`, F, d),
        ...(cfg.arch === 'dit' ? { ada: lin(`${p}.adaLN_modulation`, cd, 6 * d, { zero: true }) } : {}),
      });
    }
    this.final = {
      norm: norm('output_layer.norm_final.weight'),
      linear: lin('output_layer.linear', d, cfg.vocabSize, { zero: true }),
      ...(cfg.arch === 'dit' ? { ada: lin('output_layer.adaLN_modulation', cd, 2 * d, { zero: true }) } : {}),
    };
    reg.finalize();
    this.tensors = modelTensors(cfg);
    for (const t of this.tensors) {
      const have = reg.get(t.name).shape.join();
      if (have !== registryShape(t).join()) throw new Error(`internal: ${t.name} is [${have}] in the registry, [${registryShape(t)}] expected`);
    }
    if (reg.list.length !== this.tensors.length) throw new Error('internal: the registry and the tensor list disagree');
    this.pool = new BufferPool(gpu);
  }

  /** Parameters that belong to tensors (padding excluded). */
  get parameterCount(): number {
    return this.registry.count;
  }

  /** Writes a flat image of the registry layout into the parameters (queue order). */
  upload(flat: Float32Array): void {
    const reg = this.registry;
    if (flat.length !== reg.size) throw new NnError('model', 'upload', `expected ${reg.size} elements, got ${flat.length}`);
    this.gpu.device.queue.writeBuffer(reg.params.buffer, reg.params.offset * 4, flat.buffer, flat.byteOffset, flat.byteLength);
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

  private dims(inp: ModelInputs) {
    const { B, L } = inp;
    if (!Number.isInteger(B) || B < 1 || !Number.isInteger(L) || L < 1) throw new NnError('model', 'inputs', `B and L must be positive integers, got ${B}, ${L}`);
    this.checkBatch(B, L);
    const d = this.cfg.hidden;
    const H = this.cfg.heads;
    return { B, L, N: B * L, d, H, dh: d / H, F: this.cfg.mlpRatio * d, V: this.cfg.vocabSize };
  }

  /** The attention argument of the inputs' key mask, as [B, L]. */
  private keyMaskOf(inp: ModelInputs): { keyMask?: Tensor } {
    return inp.keyMask ? { keyMask: reshape(inp.keyMask, [inp.B, inp.L]) } : {};
  }

  /** Records the forward pass; returns the logits and what backward needs. */
  forward(rec: Recorder, inp: ModelInputs): ForwardPass {
    const cfg = this.cfg;
    const { B, L, d, H, dh, F, V, N } = this.dims(inp);
    if (numel(inp.ids.shape) !== N) throw new NnError('model', 'ids', `expected ${N} token ids (B ${B} x L ${L}), got [${inp.ids.shape}]`);
    if (inp.ids.dtype !== 'u32') throw new NnError('model', 'ids', `expected u32 ids, got ${inp.ids.dtype}`);
    if (inp.keyMask) {
      if (numel(inp.keyMask.shape) !== N) throw new NnError('model', 'keyMask', `expected ${N} elements (B ${B} x L ${L}), got [${inp.keyMask.shape}]`);
      if (!isContiguous(inp.keyMask)) throw new NnError('model', 'keyMask', 'must be a dense (contiguous) tensor');
    }
    const ids = reshape(inp.ids, [B, L]);
    const keyMask = this.keyMaskOf(inp);
    const dropout = cfg.dropout > 0 && inp.dropoutSeed !== undefined;
    const T = (shape: number[], label: string) => tempTensor(rec, shape, 'f32', label);
    const eps = cfg.lnEps;

    let time: ForwardPass['time'];
    if (cfg.arch === 'dit' && this.time) {
      const t = cfg.timeConditioning ? inp.time : new Float64Array(B);
      if (!t || t.length !== B) throw new NnError('model', 'time', `expected ${B} times (one per sequence), got ${t ? t.length : 'none'}`);
      const cd = cfg.condDim;
      const temb = T([B, cfg.freqDim], 'time embedding');
      rec.upload(temb, timeEmbedding(t, cfg.freqDim));
      const z1 = T([B, cd], 'time z1');
      this.time.mlp0.forward(rec, temb, z1);
      const s1 = T([B, cd], 'time s1');
      siluForward(rec, z1, s1);
      const z2 = T([B, cd], 'time z2');
      this.time.mlp2.forward(rec, s1, z2);
      const c = T([B, cd], 'c');
      siluForward(rec, z2, c);
      time = { temb, z1, s1, z2, c };
    }
    const c = time?.c;

    let x = T([B, L, d], 'x');
    embeddingForward(rec, { ids, table: this.embed.value, out: x });
    const table = this.table(L);
    const blocks: BlockSaved[] = [];
    for (let layer = 0; layer < cfg.layers; layer++) {
      const lay = this.blocks[layer]!;
      let mod: Tensor | undefined;
      let ch: Tensor[] = [];
      if (c && lay.ada) {
        mod = T([B, 6 * d], 'adaLN');
        lay.ada.forward(rec, c, mod);
        ch = chunkLast(mod, 6);
      }
      const h1 = T([B, L, d], 'h1');
      const ln1 = layerNormForward(rec, { x, y: h1, gamma: lay.norm1.value, eps });
      let h1m = h1;
      if (mod) {
        h1m = T([B, L, d], 'h1m');
        modulateForward(rec, { x: h1, shift: ch[0]!, scale: ch[1]!, y: h1m });
      }
      const qkv = T([B, L, 3 * d], 'qkv');
      lay.qkv.forward(rec, h1m, qkv);
      const v5 = qkvViews(qkv, B, L, H, dh);
      ropeForward(rec, { x: v5.qBLHD, y: v5.qBLHD, table });
      ropeForward(rec, { x: v5.kBLHD, y: v5.kBLHD, table });
      const o = T([B, L, d], 'attn o');
      const lse = attentionForward(rec, { q: v5.q, k: v5.k, v: v5.v, o: headsView(o, B, L, H, dh), causal: this.causal, ...keyMask });
      const a = T([B, L, d], 'attn out');
      lay.out.forward(rec, o, a);
      let ad = a;
      if (dropout) {
        ad = T([B, L, d], 'attn drop');
        dropoutForward(rec, { x: a, y: ad, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, 0) });
      }
      const x1 = T([B, L, d], 'x1');
      if (mod) gatedResidualForward(rec, { x, gate: ch[2]!, y: ad, out: x1 });
      else add(rec, x, ad, x1);
      const h2 = T([B, L, d], 'h2');
      const ln2 = layerNormForward(rec, { x: x1, y: h2, gamma: lay.norm2.value, eps });
      let h2m = h2;
      if (mod) {
        h2m = T([B, L, d], 'h2m');
        modulateForward(rec, { x: h2, shift: ch[3]!, scale: ch[4]!, y: h2m });
      }
      const u = T([B, L, F], 'mlp u');
      lay.mlp0.forward(rec, h2m, u);
      const g = T([B, L, F], 'mlp g');
      geluForward(rec, u, g);
      const m = T([B, L, d], 'mlp out');
      lay.mlp2.forward(rec, g, m);
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
    if (c && this.final.ada) {
      modF = T([B, 2 * d], 'adaLN final');
      this.final.ada.forward(rec, c, modF);
    }
    const hf = T([B, L, d], 'hf');
    const lnf = layerNormForward(rec, { x, y: hf, gamma: this.final.norm.value, eps });
    let hfm = hf;
    if (modF) {
      const [shift, scale] = chunkLast(modF, 2) as [Tensor, Tensor];
      hfm = T([B, L, d], 'hfm');
      modulateForward(rec, { x: hf, shift, scale, y: hfm });
    }
    const logits = T([B, L, V], 'logits');
    this.final.linear.forward(rec, hfm, logits);
    return { inputs: inp, logits, ids, ...(time ? { time } : {}), blocks, xf: x, ...(modF ? { modF } : {}), lnf, hf, hfm, dropout };
  }

  /**
   * Records the backward pass of `fwd` (same recording) for the loss whose gradient with respect
   * to the logits is `dlogits` ([B, L, V]; it may be the logits tensor itself, overwritten in place
   * by the loss). ADDS every parameter's gradient into the registry (zeroGrads first).
   */
  backward(rec: Recorder, fwd: ForwardPass, dlogits: Tensor): void {
    const cfg = this.cfg;
    const inp = fwd.inputs;
    const { B, L, N, d, H, dh, F, V } = this.dims(inp);
    if (numel(dlogits.shape) !== N * V) throw new NnError('model.backward', 'dlogits', `expected [${B}, ${L}, ${V}], got [${dlogits.shape}]`);
    const T = (shape: number[], label: string) => tempTensor(rec, shape, 'f32', label);
    const c = fwd.time?.c;
    const table = this.table(L);
    const dlog = reshape(dlogits, [B, L, V]);
    const keyMask = this.keyMaskOf(inp);

    // Output layer: logits = hfm Wlin + blin.
    const dhfm = T([B, L, d], 'd hfm');
    this.final.linear.backward(rec, { x: fwd.hfm, dy: dlog, dx: dhfm });
    let dhf = dhfm;
    let dc: Tensor | undefined;
    if (fwd.modF && c && this.final.ada) {
      const dmodF = T([B, 2 * d], 'd adaLN final');
      const [dshift, dscale] = chunkLast(dmodF, 2) as [Tensor, Tensor];
      dhf = T([B, L, d], 'd hf');
      modulateBackward(rec, { x: fwd.hf, dy: dhfm, scale: chunkLast(fwd.modF, 2)[1]!, dx: dhf, dshift, dscale });
      dc = T([B, c.shape[1]!], 'd c');
      this.final.ada.backward(rec, { x: c, dy: dmodF, dx: dc });
    }
    // dx: the gradient flowing down the residual stream, accumulated in place block by block.
    const dx = T([B, L, d], 'd x');
    layerNormBackward(rec, { x: fwd.xf, dy: dhf, dx, saved: fwd.lnf, gamma: this.final.norm.value, dgamma: this.final.norm.grad, accumulateGamma: true });

    for (let layer = cfg.layers - 1; layer >= 0; layer--) {
      const lay = this.blocks[layer]!;
      const s = fwd.blocks[layer]!;
      const ch = s.mod ? chunkLast(s.mod, 6) : [];
      const dmod = s.mod ? T([B, 6 * d], 'd adaLN') : undefined;
      const dch = dmod ? chunkLast(dmod, 6) : [];

      // A branch ends x_next = x + gate * dropout(y): the gradient reaching y's producer (and the gate's).
      const branchBackward = (y: Tensor, gate: number, branch: 0 | 1, name: string): Tensor => {
        let dgated = dx;
        if (dmod) {
          dgated = T([B, L, d], `d ${name} drop`);
          gatedResidualBackward(rec, { y, gate: ch[gate]!, dout: dx, dy: dgated, dgate: dch[gate]! });
        }
        if (!fwd.dropout) return dgated;
        const dy = T([B, L, d], `d ${name} out`);
        dropoutBackward(rec, { x: dgated, y: dy, p: cfg.dropout, seed: inp.dropoutSeed!, stream: dropoutStream(layer, branch) });
        return dy;
      };
      // A branch starts h = modulate(LN(x), shift, scale): adds the gradient of x into dx.
      const normBackward = (dhm: Tensor, h: Tensor, x: Tensor, saved: typeof s.ln1, norm: typeof lay.norm1, shift: number, name: string): void => {
        let dh = dhm;
        if (dmod) {
          dh = T([B, L, d], `d ${name}`);
          modulateBackward(rec, { x: h, dy: dhm, scale: ch[shift + 1]!, dx: dh, dshift: dch[shift]!, dscale: dch[shift + 1]! });
        }
        layerNormBackward(rec, { x, dy: dh, dx, saved, gamma: norm.value, dgamma: norm.grad, accumulate: true, accumulateGamma: true });
      };

      // x2 = x1 + gate2 * md
      const dm = branchBackward(s.md, 5, 1, 'mlp');
      const dg = T([B, L, F], 'd mlp g');
      lay.mlp2.backward(rec, { x: s.g, dy: dm, dx: dg });
      const du = T([B, L, F], 'd mlp u');
      geluBackward(rec, s.u, dg, du);
      const dh2m = T([B, L, d], 'd h2m');
      lay.mlp0.backward(rec, { x: s.h2m, dy: du, dx: dh2m });
      normBackward(dh2m, s.h2, s.x1, s.ln2, lay.norm2, 3, 'h2');

      // x1 = x + gate1 * ad
      const da = branchBackward(s.ad, 2, 0, 'attn');
      const dO = T([B, L, d], 'd attn o');
      lay.out.backward(rec, { x: s.o, dy: da, dx: dO });
      const v5 = qkvViews(s.qkv, B, L, H, dh);
      const dqkv = T([B, L, 3 * d], 'd qkv');
      const g5 = qkvViews(dqkv, B, L, H, dh);
      attentionBackward(rec, {
        q: v5.q, k: v5.k, v: v5.v, o: headsView(s.o, B, L, H, dh), lse: s.lse, dout: headsView(dO, B, L, H, dh),
        dq: g5.q, dk: g5.k, dv: g5.v, causal: this.causal, ...keyMask,
      });
      ropeBackward(rec, { x: g5.qBLHD, y: g5.qBLHD, table });
      ropeBackward(rec, { x: g5.kBLHD, y: g5.kBLHD, table });
      const dh1m = T([B, L, d], 'd h1m');
      lay.qkv.backward(rec, { x: s.h1m, dy: dqkv, dx: dh1m });
      normBackward(dh1m, s.h1, s.x, s.ln1, lay.norm1, 0, 'h1');
      if (dmod && c && dc && lay.ada) lay.ada.backward(rec, { x: c, dy: dmod, dx: dc, accumulateDx: true });
    }
    embeddingBackward(rec, { ids: fwd.ids, dout: dx, dtable: this.embed.grad, accumulate: true });

    if (fwd.time && dc && this.time) {
      const { temb, z1, s1, z2 } = fwd.time;
      const cd = z1.shape[1]!;
      const dz2 = T([B, cd], 'd time z2');
      siluBackward(rec, z2, dc, dz2);
      const ds1 = T([B, cd], 'd time s1');
      this.time.mlp2.backward(rec, { x: s1, dy: dz2, dx: ds1 });
      const dz1 = T([B, cd], 'd time z1');
      siluBackward(rec, z1, ds1, dz1);
      this.time.mlp0.backward(rec, { x: temb, dy: dz1 });
    }
  }

  /** The most sequences of length L per forward pass on this device (maxSequencesPerCall). */
  maxSequences(L: number): number {
    return maxSequencesPerCall(this.gpu.limits, this.cfg, L);
  }

  private checkBatch(B: number, L: number): void {
    const max = this.maxSequences(L);
    if (B > max) {
      const mib = (x: number) => (x / 2 ** 20).toFixed(0);
      throw new NnError(
        'model', 'inputs',
        `${B} sequences of length ${L} make [${B * L}, ${this.cfg.vocabSize}] logits (${mib(4 * B * L * this.cfg.vocabSize)} MiB), over this adapter's ` +
          `storage-binding limit of ${mib(this.gpu.limits.maxStorageBufferBindingSize)} MiB: at most ${max} sequences of length ${L} per model call`,
      );
    }
  }

  /** Compiles every pipeline of a step at (B, L) ahead of time (and lets the matmul layer tune its shapes). */
  async prepare(rec: Recorder, B: number, L: number): Promise<void> {
    this.checkBatch(B, L);
    const N = B * L;
    for (const lay of this.blocks) {
      for (const l of [lay.qkv, lay.out, lay.mlp0, lay.mlp2]) await l.prepare(rec, N);
      if (lay.ada) await lay.ada.prepare(rec, B);
    }
    await this.final.linear.prepare(rec, N);
    if (this.final.ada) await this.final.ada.prepare(rec, B);
    if (this.time) for (const l of [this.time.mlp0, this.time.mlp2]) await l.prepare(rec, B);
  }

  /** The model's input vocabulary (rows of the embedding). */
  get inputVocab(): number {
    return inputVocab(this.cfg);
  }

  destroy(): void {
    this.registry.params.buffer.destroy();
    this.registry.grads.buffer.destroy();
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
