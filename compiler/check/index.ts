// The semantic checks, in stages: declare names (params, graphs), apply overrides, check each
// statement (each check lowers its own piece of IR), then the whole-kernel rules. All of it
// runs on a partial tree too, so syntax and semantic errors come back together.
import type * as A from '../../grammar/index.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../../grammar/index.ts';
import type { Graph, Hops, KernelSpec, Loss, Param, Sampler, Schedule } from '../../specs/types/kernel.ts';
import { assertValid, SpecValidationError } from '../../specs/validate.ts';
import { FUNCTIONS } from '../expr/index.ts';
import { lowerKernel } from '../lower.ts';
import { CheckContext } from './context.ts';
import { CONSTANTS, ExprLowering, FIELDS } from './expressions.ts';
import { applyOverrides, declareParams, type Overrides } from './params.ts';
import { checkGraph, declareGraphs } from './graphs.ts';
import { checkScheduleDecl } from './schedule.ts';
import { checkChannels } from './channels.ts';
import { checkHops, DEFAULT_HOPS } from './hops.ts';
import { checkLoss } from './loss.ts';
import { checkSampler } from './sampler.ts';

export type { Overrides };

export interface CheckOptions {
  text: string;
  params?: Overrides;
  /** The parse had errors: statements may be missing, so "never used" would be guesswork. */
  partial?: boolean;
}

const START: A.Loc = { line: 1, column: 1, endLine: 1, endColumn: 2, offset: 0, endOffset: 1 };

const WHAT: Record<A.Statement['kind'], string> = {
  kernel: 'one kernel line',
  param: '',
  graph: '',
  schedule: 'one schedule',
  channel: '',
  hops: 'one hops statement',
  loss: 'one loss',
  sampler: 'one sampler',
};

/** The one statement of a kind, reporting the repeats. */
function single<K extends 'kernel' | 'schedule' | 'hops' | 'loss' | 'sampler'>(ctx: CheckContext, ast: A.KernelFile, kind: K): Extract<A.Statement, { kind: K }> | undefined {
  const all = ofKind(ast, kind);
  const first: A.Statement | undefined = all[0];
  for (const extra of all.slice(1) as A.Statement[]) ctx.error(extra.loc, 'duplicate', `a kernel has ${WHAT[kind]}; the first is on line ${first!.loc.line}`);
  return all[0];
}

function ofKind<K extends A.Statement['kind']>(ast: A.KernelFile, kind: K): Array<Extract<A.Statement, { kind: K }>> {
  return ast.statements.filter((s): s is Extract<A.Statement, { kind: K }> => s.kind === kind);
}

export function checkAst(ast: A.KernelFile, opts: CheckOptions): { spec?: KernelSpec; diagnostics: Diagnostic[] } {
  const ctx = new CheckContext(ast.path, opts.partial ?? false);
  const x = new ExprLowering(ctx);

  const kernel = single(ctx, ast, 'kernel');
  const at = kernel?.loc ?? START;
  // On a partial tree a missing statement may only have been skipped by the parser's recovery.
  const need = (ok: unknown, loc: A.Loc, code: string, message: string) => {
    if (!ok && !opts.partial) ctx.error(loc, code, message);
  };
  need(kernel, START, 'no-kernel', `a kernel file starts with its name: kernel NAME "what it is"`);

  // Stage 1: names.
  declareParams(ctx, ofKind(ast, 'param'), x);
  if (opts.params) applyOverrides(ctx, opts.params, at);
  const reserved = new Set(['t', 's', 'step', 'v', 'if', 'adaptive', ...Object.keys(CONSTANTS), ...FIELDS, ...Object.keys(FUNCTIONS)]);
  declareGraphs(ctx, ofKind(ast, 'graph'), reserved);

  // Stage 2: each statement.
  const graphs: Graph[] = [];
  for (const g of ofKind(ast, 'graph')) {
    const ir = checkGraph(ctx, g, x);
    if (ir) graphs.push(ir);
  }
  const scheduleDecl = single(ctx, ast, 'schedule');
  const schedule: Schedule | undefined = scheduleDecl && checkScheduleDecl(ctx, scheduleDecl, x);
  need(scheduleDecl, at, 'no-schedule', `a kernel needs a schedule, e.g. schedule loglinear(eps = 1e-3)`);
  const channels = checkChannels(ctx, ofKind(ast, 'channel'), x, at);
  const hopsDecl = single(ctx, ast, 'hops');
  const hops: Hops | undefined = hopsDecl ? checkHops(ctx, hopsDecl, x) : DEFAULT_HOPS;
  const lossDecl = single(ctx, ast, 'loss');
  const loss: Loss | undefined = lossDecl && checkLoss(ctx, lossDecl, x);
  need(lossDecl, at, 'no-loss', `a kernel needs a loss: loss elbo, loss ce or loss weighted_ce(EXPR)`);
  const samplerDecl = single(ctx, ast, 'sampler');
  const sampler: Sampler | undefined = samplerDecl && checkSampler(ctx, samplerDecl, x, ofKind(ast, 'channel'));
  need(samplerDecl, at, 'no-sampler', `a kernel needs a sampler, e.g. sampler ancestral(steps = 128) { denoise argmax }`);

  // Stage 3: whole-kernel rules.
  if (!opts.partial) {
    for (const [name, p] of ctx.params) {
      if (!ctx.used.has(name) && p.ir && p.decl.name) ctx.warn(p.decl.name.loc, 'unused', `the param '${name}' is never used`);
    }
    for (const [name, g] of ctx.graphs) {
      if (!ctx.used.has(name) && g.name) ctx.warn(g.name.loc, 'unused', `the graph '${name}' is never used (no jump(${name}) channel and no rule reads it); it would be built for nothing`);
    }
  }

  const diagnostics = sortDiagnostics(ctx.diagnostics);
  if (hasErrors(diagnostics) || !kernel?.name || !schedule || !channels || !hops || !loss || !sampler) {
    return { diagnostics };
  }
  const params: Param[] = [];
  for (const p of ctx.params.values()) if (p.ir) params.push(p.ir);
  const spec = lowerKernel({
    name: kernel.name.name,
    doc: kernel.doc?.value ?? '',
    path: ast.path,
    text: opts.text,
    params,
    graphs,
    schedule,
    channels,
    hops,
    loss,
    sampler,
  });
  try {
    assertValid<KernelSpec>('kernel', spec, 'the compiled kernel spec');
  } catch (err) {
    // The checks above should make this impossible; say so plainly rather than emit a bad spec.
    const issues = err instanceof SpecValidationError ? err.issues.map((i) => `${i.path} ${i.message}`).join('; ') : String(err);
    return { diagnostics: [...diagnostics, { ...at, severity: 'error', code: 'internal', file: ast.path, message: `internal error: the compiled spec does not match specs/kernel.schema.json (${issues}); please report this` }] };
  }
  return { spec, diagnostics };
}
