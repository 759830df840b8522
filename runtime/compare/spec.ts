// Experiment specs (specs/experiment.schema.json, docs/compare.md): validated, defaults filled, and
// expanded into the run specs they train: one per (kernel, seed), plus the autoregressive
// reference per seed. Every run spec is validated as `dlmk train` would, with the kernel named in
// the message.
import { dirname, resolve } from 'node:path';
import { checkAgainst, SpecValidationError } from '../../specs/validate.ts';
import { applySets, readRunSpecFile, validateRunSpec, type RunSpec } from '../train/index.ts';
import { compileRunKernel } from '../train/kernel.ts';

export interface KernelEntry {
  name: string;
  path: string;
  params: Record<string, number | boolean>;
}

export interface ExperimentSpec {
  format: 'dlmk.experiment/1';
  name: string;
  base: Record<string, unknown>;
  kernels: KernelEntry[];
  seeds: number[];
  reference: { model?: Record<string, unknown>; budget?: Record<string, unknown>; optimizer?: Record<string, unknown>; onnx?: string; tokenizer?: { name: string } & Record<string, unknown> };
  sampling: { steps: number[]; samples: number; length?: number; seed: number; predictor?: string; show: number };
  evaluation: Record<string, unknown>;
  synthetic: { enabled: boolean } & Record<string, unknown>;
}

export interface PlannedRun {
  /** 'kernel' or 'reference'. */
  role: 'kernel' | 'reference';
  /** The kernel's label (or 'ar'). */
  label: string;
  seed: number;
  spec: RunSpec;
  /** The run folder, relative to the experiment's output folder. */
  dir: string;
}

export interface Plan {
  spec: ExperimentSpec;
  baseDir: string;
  runs: PlannedRun[];
}

/** Validates an experiment document and expands it into its runs. */
export function planExperiment(doc: unknown, o: { what?: string; baseDir?: string } = {}): Plan {
  const what = o.what ?? 'experiment spec';
  const baseDir = o.baseDir ?? process.cwd();
  const issues = checkAgainst('experiment', doc);
  if (issues.length) throw new SpecValidationError(what, issues);
  const d = doc as Partial<ExperimentSpec> & { base: Record<string, unknown>; kernels: { name?: string; path: string; params?: Record<string, number | boolean> }[] };
  if ('format' in d.base || 'kernel' in d.base) {
    throw new SpecValidationError(what, [{ path: '$.base', message: 'holds what every run shares: leave out `format` and `kernel` (kernels are listed in `kernels`)' }]);
  }
  const kernels: KernelEntry[] = d.kernels.map((k, i) => {
    let name = k.name;
    if (!name) {
      try {
        name = compileRunKernel(k.path, k.params ?? {}, baseDir).spec.name;
      } catch (err) {
        throw new SpecValidationError(what, [{ path: `$.kernels[${i}]`, message: (err as Error).message }]);
      }
    }
    return { name, path: k.path, params: k.params ?? {} };
  });
  const names = new Set<string>();
  kernels.forEach((k, i) => {
    if (names.has(k.name) || k.name === 'ar') throw new SpecValidationError(what, [{ path: `$.kernels[${i}].name`, message: `'${k.name}' names two runs; give each kernel entry its own name` }]);
    names.add(k.name);
  });
  const spec: ExperimentSpec = {
    format: 'dlmk.experiment/1',
    name: d.name ?? 'experiment',
    base: d.base,
    kernels,
    seeds: d.seeds ?? [0],
    reference: d.reference ?? {},
    sampling: { steps: [16, 64, 256], samples: 32, seed: 0, show: 3, ...(d.sampling ?? {}) },
    evaluation: d.evaluation ?? {},
    synthetic: { enabled: false, ...(d.synthetic ?? {}) },
  };
  const runs: PlannedRun[] = [];
  const check = (doc2: Record<string, unknown>, label: string) => {
    try {
      return validateRunSpec(doc2, { what: `${what} (${label})`, baseDir }).spec;
    } catch (err) {
      if (err instanceof SpecValidationError) throw new SpecValidationError(`${what} (${label}: base + kernel)`, err.issues.map((x) => ({ ...x, path: x.path.replace(/^\$/, '$.base') })));
      throw err;
    }
  };
  for (const seed of spec.seeds) {
    for (const k of kernels) {
      const s = check({ ...structuredClone(spec.base), format: 'dlmk.run/1', name: k.name, seed, kernel: { path: k.path, params: k.params } }, `kernel ${k.name}`);
      runs.push({ role: 'kernel', label: k.name, seed, spec: s, dir: `runs/${k.name}-s${seed}` });
    }
    if (spec.reference.onnx) continue;
    const ref = structuredClone(spec.base);
    const baseModel = (ref['model'] ?? {}) as Record<string, unknown>;
    const { timeConditioning: _tc, condDim: _cd, freqDim: _fd, ...arModel } = baseModel;
    ref['model'] = { ...arModel, ...(spec.reference.model ?? {}), arch: 'ar' };
    if (spec.reference.budget) ref['budget'] = spec.reference.budget;
    if (spec.reference.optimizer) ref['optimizer'] = { ...((ref['optimizer'] as object) ?? {}), ...spec.reference.optimizer };
    delete ref['embeddings'];
    runs.push({ role: 'reference', label: 'ar', seed, spec: check({ ...ref, format: 'dlmk.run/1', name: 'ar', seed }, 'the AR reference'), dir: `runs/ar-s${seed}` });
  }
  return { spec, baseDir, runs };
}

/** Reads and plans an experiment file (relative paths resolve against its folder); `sets` as dlmk train's --set. */
export function loadExperiment(path: string, sets: readonly string[] = []): Plan {
  const doc = applySets(readRunSpecFile(path), sets, path);
  return planExperiment(doc, { what: path, baseDir: dirname(resolve(path)) });
}
