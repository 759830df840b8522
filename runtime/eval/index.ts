// Public face of evaluation: generation-quality and diversity metrics (metrics/) and the
// self-contained HTML comparison report (report/). docs/eval.md.
export * from './metrics/index.ts';
export * from './report/index.ts';
// The likelihood protocol, the three factors and evaluate() (docs/eval.md, "Likelihood", "The three factors").
export * from './factors/index.ts';
export {
  runLikelihood, diffusionLikelihood, arLikelihood, heldOutRows, timeRule, LIKELIHOOD_DEFAULTS,
  type LikelihoodOptions, type LikelihoodEstimate, type LikelihoodRecord, type TimeVariable, type DiffusionContext,
} from './likelihood.ts';
export { evaluate, EVALUATE_DEFAULTS, type EvaluateOptions, type EvalRecord } from './evaluate.ts';
