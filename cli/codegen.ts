// The WGSL a compiled kernel becomes (`dlmk compile KERNEL --wgsl DIR`, docs/codegen.md): the
// shader programs the GPU runtime (runtime/kernel/, one module per quantity) generates for each quantity of this
// kernel, with the same generators (compiler/wgsl/*.ts) and the same choices the runtime makes:
// the row layout without a jump channel, the column layout with one; one reset group per distinct
// reset distribution; the corruption clock compiled from the IR's closed forms when reset and jump
// channels are not in fixed proportion. What depends on the device or the vocabulary is an option:
// `lanes` (workgroup size: 64 on a software adapter, 256 on a GPU), `V` (the vocabulary, which
// sets the workgroup width of the per-position programs) and `subgroupWidth` (0: no subgroups).
// Each program is one self-contained WGSL module (entry point `main`) with a header comment.
import type { KernelSpec } from '../specs/types/kernel.ts';
import type { WgslProgram } from '../compiler/wgsl/module.ts';
import { corruptProgram, type ClockWgsl } from '../compiler/wgsl/corrupt.ts';
import { initProgram, rhoProgram, rowStatsProgram, writeRowsProgram } from '../compiler/wgsl/columns.ts';
import { hopProgram } from '../compiler/wgsl/hop.ts';
import { colCombineProgram, colDotProgram, elboColumnProgram, elboDenseProgram, elboRowProgram, gradWriteProgram } from '../compiler/wgsl/elbo.ts';
import { ratesProgram, reverseProgram, reverseRowProgram } from '../compiler/wgsl/reverse.ts';
import { countsProgram, ruleGraphs, rulesProgram, rulesSeqProgram, sequenceLevel } from '../compiler/wgsl/rules.ts';
import { klPartialProgram, priorIterProgram, priorSampleProgram } from '../compiler/wgsl/prior.ts';
import { sparseClearProgram, sparseExpandProgram, sparseInitProgram, sparsePullProgram } from '../compiler/wgsl/sparse.ts';
import { eulerProgram } from '../compiler/wgsl/tauleap.ts';
import { kernelStructure } from '../runtime/kernel/structure.ts';
import { CLOCK_NODES, closedFormClock } from '../runtime/kernel/clock.ts';

export interface CodegenOptions {
  /** Vocabulary size (default 1024); sets the lanes of the per-position programs as the runtime does. */
  V?: number;
  /** Workgroup lanes (default 64, the runtime's choice on a software adapter; 256 on a GPU). */
  lanes?: number;
  /** Subgroup width for the row programs (default 0: portable, without subgroups). */
  subgroupWidth?: number;
}

export interface WgslFile {
  /** File name, e.g. `corrupt.wgsl`. */
  file: string;
  /** The quantity it serves, e.g. 'forward corruption'. */
  quantity: string;
  /** What it computes, one paragraph. */
  what: string;
  program: WgslProgram;
}

/** The runtime's default for a vocabulary: no more lanes than a quarter of the tokens, at least 8. */
export function rowLanes(V: number, lanes: number): number {
  return Math.min(lanes, Math.max(8, 2 ** Math.floor(Math.log2(Math.max(1, V / 4)))));
}

/** The reset/jump clock of corruptProgram, as the runtime compiles it (runtime/kernel/clock.ts). */
function clockOf(spec: KernelSpec): ClockWgsl | undefined {
  const st = kernelStructure(spec);
  if (!(st.resets.length > 0 && (st.jumpChannels.length > 0 || st.resets.length > 1) && !st.proportional)) return undefined;
  return closedFormClock(st) ?? { kind: 'table', M: CLOCK_NODES };
}

/** Every WGSL program the runtime generates for `spec`, in the order of docs/codegen.md. */
export function kernelWgsl(spec: KernelSpec, o: CodegenOptions = {}): WgslFile[] {
  const V = o.V ?? 1024;
  const lanes = o.lanes ?? 64;
  const W = rowLanes(V, lanes);
  const sgW = o.subgroupWidth ?? 0;
  const subgroups = sgW >= 1 && sgW <= 128;
  const st = kernelStructure(spec);
  const jump = st.jumpChannels.length > 0;
  const G = st.resets.length;
  const groups = st.resets.map((g) => (g.dist.kind === 'uniform' ? 'uniform' : 'alias') as 'uniform' | 'alias');
  const clock = clockOf(spec);
  const out: WgslFile[] = [];
  const add = (file: string, quantity: string, what: string, program: WgslProgram) => out.push({ file, quantity, what, program });

  add('corrupt.wgsl', 'forward corruption', `draws x_t ~ q_t(. | x0) for every position: ${spec.hasMask ? 'masking, ' : ''}${G} reset group${G === 1 ? '' : 's'} (${groups.join(', ') || 'none'})${jump ? ', a walk on the jump graph' : ''}${clock ? `, the time of the last reset from the ${clock.kind === 'expr' ? 'compiled closed-form' : 'tabulated'} clocks` : ''} (docs/math.md §1.6)`, corruptProgram({ hasMask: spec.hasMask, groups, jump, wg: lanes, clock }));
  if (jump) {
    const wx = lanes;
    add('rows-init.wgsl', 'rows and columns of q_t', 'starts the hop sums of rows q_t(. | x0): the one-hot of x0 per column, Acc = hw[0] X', initProgram({ softmax: false, onehot: true, wx, wy: 1 }));
    add('columns-init.wgsl', 'rows and columns of q_t', "starts the hop sums of columns: p_hat = softmax of the model's logits (and, for the ELBO, the one-hot of x0)", initProgram({ softmax: true, onehot: true, wx, wy: 1 }));
    add('rowstats.wgsl', 'rows and columns of q_t', "the softmax statistics (max, log-sum-exp) of each logit row, read by columns-init", rowStatsProgram(W));
    add('hop.wgsl', 'rows and columns of q_t', 'one hop of the truncated power series: X <- A X over the jump graph (CSR), Acc += hw[h] X, two matrices at once', hopProgram({ mats: 2, wx, wy: 1, cpt: 8 }));
    add('sparse-init.wgsl', 'rows and columns of q_t', "the sparse start of a one-hot's hops while its support is small: the token lists", sparseInitProgram(lanes));
    add('sparse-expand.wgsl', 'rows and columns of q_t', 'sparse hops: the next support (push along the graph)', sparseExpandProgram());
    add('sparse-pull.wgsl', 'rows and columns of q_t', 'sparse hops: the values on the new support (pull along the graph) and the accumulator', sparsePullProgram());
    add('sparse-clear.wgsl', 'rows and columns of q_t', 'sparse hops: clears the support lists of an earlier hop', sparseClearProgram());
    add('write-rows.wgsl', 'rows and columns of q_t', 'writes rows q_t(. | x0) over S states (the mask column and the reset mixture added)', writeRowsProgram(wx, 1));
    add('rho.wgsl', 'rows and columns of q_t', 'rho = the reset part of a column, sum over groups of their hop-weighted distributions', rhoProgram(wx, 1));
    add('reverse.wgsl', 'reverse step', 'one draw x_s ~ p(x_s | x_t) of the plug-in reverse step, from the hop sums (column layout: the kernel has a jump graph)', reverseProgram(W));
    add('rates.wgsl', 'tau-leaping rates', "R_hat(z -> y) = Q_t(y, z) b_y / b_z: the reverse rates out of x_t for tau-leaping (column layout)", ratesProgram({ groups: G, jump, W }));
    add('elbo-dense.wgsl', 'ELBO', 'the continuous-time ELBO integrand, dense part: Kahan partials of the Bregman terms D(a_y || kappa b_y) and the gradient columns', elboDenseProgram({ groups: G, jump, wx, wy: 1 }));
    add('elbo-column.wgsl', 'ELBO', 'the ELBO integrand per position: combines the dense partials, the sparse in-neighbour part of the jump channel and the parts by channel', elboColumnProgram({ groups: G, jump, wx: lanes, wy: 1 }));
    add('coldot.wgsl', 'ELBO', 'partial dot products of columns (the gradient through the softmax)', colDotProgram(wx, 1));
    add('colcombine.wgsl', 'ELBO and prior', 'sums the partials of coldot / kl-partial per column', colCombineProgram(lanes));
    add('gradwrite.wgsl', 'ELBO', 'writes the gradient of the ELBO with respect to the logits, row-major', gradWriteProgram(wx, 1));
    add('prior-iter.wgsl', 'prior', 'one power-iteration step toward the stationary law of the jump graph mixed with the resets (p_1)', priorIterProgram(lanes));
  } else {
    add('reverse-row.wgsl', 'reverse step', 'one draw x_s ~ p(x_s | x_t) of the plug-in reverse step, one workgroup per position (row layout: no jump graph)', reverseRowProgram(W, G));
    add('elbo-row.wgsl', 'ELBO', 'the continuous-time ELBO integrand, its gradient and its parts by channel, one workgroup per position (row layout)', elboRowProgram({ groups: G, subgroups, W: sgW }));
    add('rates.wgsl', 'tau-leaping rates', "R_hat(z -> y) = Q_t(y, z) b_y / b_z: the reverse rates out of x_t for tau-leaping", ratesProgram({ groups: G, jump, W }));
  }
  add('prior-sample.wgsl', 'prior', `draws x_1 from the prior p_1${spec.hasMask ? ' ([MASK] where the kernel masks)' : ''}`, priorSampleProgram(lanes, spec.hasMask));
  add('kl-partial.wgsl', 'prior', 'partial sums of KL(q_1(. | x0) || p_1), the prior term of the bound', klPartialProgram(lanes, 1));
  const rules = spec.sampler.rules;
  const names = spec.params.map((p) => p.name);
  const graphs = ruleGraphs(rules);
  add('counts.wgsl', 'sampler rules', 'count[v]: how often each token occurs in each sequence (read by the rules)', countsProgram(lanes));
  add('rules.wgsl', 'sampler rules', `the sampler's ${rules.length} rule${rules.length === 1 ? '' : 's'} applied in order to each logit row (temperature, top-k/p, min-p, penalties, logit[v] op= expr)`, rulesProgram({ rules, params: names, graphs, W: sgW, subgroups, hoist: false }));
  if (rules.some(sequenceLevel)) {
    add('rules-seq.wgsl', 'sampler rules', 'the sequence-level logit rules (counts and their graph aggregates) once per sequence', rulesSeqProgram({ rules, params: names, graphs, W: sgW }));
  }
  if (spec.sampler.predictor === 'tau_leap') add('tau-leap.wgsl', 'sampler', 'one Euler (tau-leaping) step from the reverse rates', eulerProgram(W));
  return out;
}

/** The text of one file: a header comment (what it computes, for which kernel and settings), then the module. */
export function wgslFileText(spec: KernelSpec, f: WgslFile, o: CodegenOptions = {}): string {
  const V = o.V ?? 1024;
  const lanes = o.lanes ?? 64;
  const wg = f.program.workgroup;
  return [
    `// ${f.file}: ${f.quantity} of kernel '${spec.name}'`,
    `// ${f.what}.`,
    `// Generated by dlmk compile --wgsl for V = ${V}, ${lanes} lanes${o.subgroupWidth ? `, subgroups of ${o.subgroupWidth}` : ', no subgroups'}; entry point '${f.program.entryPoint}', workgroup (${wg.join(', ')}); pipeline key ${f.program.key}.`,
    '// How to read it: docs/codegen.md.',
    '',
    f.program.code.trimEnd(),
    '',
  ].join('\n');
}
