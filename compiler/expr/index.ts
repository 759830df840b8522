// The expression algebra of the kernel compiler: evaluation (float64 and interval), simplify,
// symbolic derivatives, printing, and the range checks the compiler runs on rates and weights.
// docs/expressions.md describes what each one guarantees.
export { evalExpr, num as numValue, ExprEvalError, type EvalEnv, type CsrGraph } from './eval.ts';
export { ExprError } from './errors.ts';
export { FUNCTIONS, isFn, checkArity, type Fn, type FnInfo } from './functions.ts';
export { equalExpr, exprKey } from './key.ts';
export {
  evalInterval,
  VAR_DOMAIN,
  FIELD_DOMAIN,
  isFiniteIv,
  type Interval,
  type IntervalBox,
  type IntervalInput,
  type VarName,
  type FieldName,
} from './interval.ts';
export { simplify, mkNum } from './simplify.ts';
export { derivative, type DiffVar } from './derivative.ts';
export { formatExpr, formatNumber } from './format.ts';
export { substituteParams, type ParamValues } from './substitute.ts';
export { paramsUsed, varsUsed, fieldsUsed, graphsUsed, isConstantIn, walkExpr } from './uses.ts';
export {
  checkNonNegative,
  checkFinite,
  checkConstantSum,
  explainNonFinite,
  GRID_POINTS,
  type CheckResult,
  type CheckOptions,
} from './check.ts';
