// The error of the likelihood protocol and the factor measurements: a refusal with one clear message
// (what was asked, why it cannot be done, what to change), never a stack trace at the CLI.
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
}
