// Library errors that are values (bad input, with its location) become one-paragraph UsageErrors
// with exit code 1: the CLI prints their message as it is, without a stack-trace hint. Anything
// else is unexpected and goes to main's handler (which offers --debug).
import { UsageError } from './command.ts';

/** Error classes whose message already says what is wrong and where (by name, so no module is loaded for it). */
const VALUE_ERRORS = new Set([
  'TrainError', 'NonFiniteError', 'SpecValidationError', 'KernelSyntaxError', 'KernelCheckError', 'DataError', 'EmbeddingsError',
  'CheckpointError', 'PluginError', 'KernelRuntimeError', 'GpuUnavailableError', 'SampleError', 'EvaluationError', 'ReportError', 'MetricError', 'RateTablesError',
  'MutualInfoError',
]);

export function userError(err: unknown): unknown {
  if (err instanceof UsageError) return err;
  if (err instanceof Error && VALUE_ERRORS.has(err.name)) return new UsageError(err.message, 1);
  return err;
}
