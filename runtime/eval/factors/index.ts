// Public face of the three kernel-dependent factors (docs/eval.md, "The three factors"):
// optimisation variance (variance.ts), posterior difficulty (posterior.ts), exposure bias and repair
// (repair.ts), and the float64 numerics they share with the likelihood protocol (stats.ts).
export { EvaluationError } from './errors.ts';
export { gaussLegendre, gaussLegendreOn, ratioEstimate, type Rule, type RatioEstimate } from './stats.ts';
export {
  GradientMoments, noiseScale, noiseScaleReference, lossMoments, measureVariance, varianceOverTraining, trainBatches,
  type NoiseScale, type LossMoments, type VarianceComponent, type VarianceMeasurement, type VarianceOptions, type VarianceContext, type VarianceAtCheckpoint,
} from './variance.ts';
export { measurePosterior, softmaxStats, weightStats, type PosteriorPoint, type PosteriorRecord, type PosteriorOptions } from './posterior.ts';
export { measureRepair, chosenPositions, type RepairOptions, type RepairPoint, type DriftCurve, type RepairRecord, type RepairContext } from './repair.ts';
