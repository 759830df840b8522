// The .kernel front end: text -> typed AST plus diagnostics (never throws), syntax diagrams,
// and the small helpers the compiler shares (did-you-mean, diagnostic formatting).
export { parse, textProblem, type ParseResult } from './parse.ts';
export { diagramsHtml } from './diagrams.ts';
export { closest, didYouMean, editDistance } from './suggest.ts';
export { diagnostic, formatDiagnostics, hasErrors, sortDiagnostics, type Diagnostic, type Severity } from './diagnostics.ts';
export { reservedWords } from './lexer/index.ts';
export type * from './ast.ts';
