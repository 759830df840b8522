// The one CstParser of the .kernel language. Error recovery is on: a broken statement is
// re-synchronised at the next statement keyword, so one pass reports every syntax error and the
// compiler still checks the statements that parsed. Messages come from grammar/messages.ts.
import { CstParser, type CstNode, type IToken, type TokenType } from 'chevrotain';
import * as T from './lexer/index.ts';
import { kernelErrorMessages } from './messages.ts';

/**
 * One alternative of an OR. A helper rather than `{ ALT: () => ... }` literals: under tsx every
 * function-valued property gets a runtime name on each evaluation, a quarter of the parse time.
 */
const alt = (ALT: () => unknown) => ({ ALT });

export class KernelParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: kernelErrorMessages, nodeLocationTracking: 'full' });
    this.performSelfAnalysis();
  }

  // ─── statements ────────────────────────────────────────────────────────────────────────────

  public kernelFile = this.RULE('kernelFile', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      alt(() => this.SUBRULE(this.kernelDecl)),
      alt(() => this.SUBRULE(this.paramDecl)),
      alt(() => this.SUBRULE(this.graphDecl)),
      alt(() => this.SUBRULE(this.scheduleDecl)),
      alt(() => this.SUBRULE(this.channelDecl)),
      alt(() => this.SUBRULE(this.hopsDecl)),
      alt(() => this.SUBRULE(this.lossDecl)),
      alt(() => this.SUBRULE(this.samplerDecl)),
    ]);
    this.OPTION(() => this.CONSUME(T.Semicolon));
  });

  /** kernel NAME "what it is" */
  public kernelDecl = this.RULE('kernelDecl', () => {
    this.CONSUME(T.Kernel);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => this.CONSUME(T.StringLiteral, { LABEL: 'doc' }));
  });

  /** param NAME: int|real|bool = DEFAULT [in RANGE] */
  public paramDecl = this.RULE('paramDecl', () => {
    this.CONSUME(T.Param);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Colon);
    this.CONSUME2(T.Identifier, { LABEL: 'type' });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { LABEL: 'default' });
    this.OPTION(() => {
      this.CONSUME(T.In);
      this.SUBRULE(this.range);
    });
  });

  /** [lo, hi], (lo, hi), [lo, hi), (lo, hi] */
  public range = this.RULE('range', () => {
    this.OR([alt(() => this.CONSUME(T.LBracket, { LABEL: 'open' })), alt(() => this.CONSUME(T.LParen, { LABEL: 'open' }))]);
    this.SUBRULE(this.expression, { LABEL: 'lo' });
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.expression, { LABEL: 'hi' });
    this.OR2([alt(() => this.CONSUME(T.RBracket, { LABEL: 'close' })), alt(() => this.CONSUME(T.RParen, { LABEL: 'close' }))]);
  });

  /** graph NAME = knn(SOURCE, k = .., bandwidth = .., ...) */
  public graphDecl = this.RULE('graphDecl', () => {
    this.CONSUME(T.Graph);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.CONSUME(T.Equals);
    this.CONSUME2(T.Identifier, { LABEL: 'builder' });
    this.SUBRULE(this.argList);
  });

  /** schedule NAME[(ARGS)]  or  schedule Lambda(t) = EXPR */
  public scheduleDecl = this.RULE('scheduleDecl', () => {
    this.CONSUME(T.Schedule);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => this.SUBRULE(this.argList));
    this.OPTION2(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.expression, { LABEL: 'body' });
    });
  });

  /** channel OPERATOR [weight EXPR] [rate EXPR] */
  public channelDecl = this.RULE('channelDecl', () => {
    this.CONSUME(T.Channel);
    this.CONSUME(T.Identifier, { LABEL: 'operator' });
    this.OPTION(() => this.SUBRULE(this.argList));
    this.MANY(() => this.SUBRULE(this.channelClause));
  });

  public channelClause = this.RULE('channelClause', () => {
    this.OR([alt(() => this.CONSUME(T.Weight, { LABEL: 'clause' })), alt(() => this.CONSUME(T.Rate, { LABEL: 'clause' }))]);
    this.SUBRULE(this.expression);
  });

  /** hops H  |  hops adaptive[(cap = N)] */
  public hopsDecl = this.RULE('hopsDecl', () => {
    this.CONSUME(T.Hops);
    this.SUBRULE(this.expression);
  });

  /** loss elbo | ce | weighted_ce(EXPR) */
  public lossDecl = this.RULE('lossDecl', () => {
    this.CONSUME(T.Loss);
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => this.SUBRULE(this.argList));
  });

  /** sampler PREDICTOR(OPTIONS) { RULES } */
  public samplerDecl = this.RULE('samplerDecl', () => {
    this.CONSUME(T.Sampler);
    this.CONSUME(T.Identifier, { LABEL: 'predictor' });
    this.OPTION(() => this.SUBRULE(this.argList));
    this.OPTION2(() => {
      this.CONSUME(T.LCurly);
      this.MANY(() => {
        this.OR([alt(() => this.SUBRULE(this.samplerRule)), alt(() => this.CONSUME(T.Semicolon))]);
      });
      this.CONSUME(T.RCurly);
    });
  });

  public samplerRule = this.RULE('samplerRule', () => {
    this.OR([
      alt(() => this.SUBRULE(this.logitRule)),
      alt(() => this.CONSUME(T.Cache)),
      alt(() => this.SUBRULE(this.denoiseRule)),
      alt(() => this.SUBRULE(this.valueRule)),
      alt(() => this.SUBRULE(this.unknownRule)),
    ]);
  });

  /** logit[v] OP= EXPR */
  public logitRule = this.RULE('logitRule', () => {
    this.CONSUME(T.Logit);
    this.CONSUME(T.LBracket);
    this.SUBRULE(this.expression, { LABEL: 'index' });
    this.CONSUME(T.RBracket);
    this.CONSUME(T.AssignOp);
    this.SUBRULE2(this.expression, { LABEL: 'value' });
  });

  /** denoise argmax | sample | none */
  public denoiseRule = this.RULE('denoiseRule', () => {
    this.CONSUME(T.Denoise);
    this.CONSUME(T.Identifier, { LABEL: 'mode' });
  });

  /** temperature | top_k | top_p | min_p | repetition_penalty, then a value */
  public valueRule = this.RULE('valueRule', () => {
    this.OR(T.valueRuleKeywords.map((k) => alt(() => this.CONSUME(k, { LABEL: 'rule' }))));
    this.SUBRULE(this.expression);
  });

  /** A rule name dlmk does not know, parsed so that the compiler can suggest the right one. */
  public unknownRule = this.RULE('unknownRule', () => {
    this.CONSUME(T.Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.SUBRULE(this.expression, { LABEL: 'index' });
      this.CONSUME(T.RBracket);
    });
    this.OPTION2(() => this.CONSUME(T.AssignOp));
    this.OPTION3(() => this.SUBRULE2(this.expression, { LABEL: 'value' }));
  });

  /** (a, name = b, ...) */
  public argList = this.RULE('argList', () => {
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.arg) });
    this.CONSUME(T.RParen);
  });

  public arg = this.RULE('arg', () => {
    this.OPTION(() => {
      this.CONSUME(T.Identifier, { LABEL: 'name' });
      this.CONSUME(T.Equals);
    });
    this.SUBRULE(this.expression);
  });

  // ─── expressions ───────────────────────────────────────────────────────────────────────────
  // Binary operators are one flat list here; grammar/cst-to-ast.ts applies their precedence
  // (|| < && < comparisons < + - < * /, all left-associative). One rule instead of five levels
  // keeps every operand five calls shallower, which is most of the parse time of a kernel file.

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.unary, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.BinaryOp, { LABEL: 'operator' });
      this.SUBRULE2(this.unary, { LABEL: 'operand' });
    });
  });

  /** `-x^2` is `-(x^2)`, as in mathematics. */
  public unary = this.RULE('unary', () => {
    this.OR([
      alt(() => {
        this.OR2([alt(() => this.CONSUME(T.Minus, { LABEL: 'operator' })), alt(() => this.CONSUME(T.Bang, { LABEL: 'operator' }))]);
        this.SUBRULE(this.unary, { LABEL: 'operand' });
      }),
      alt(() => this.SUBRULE(this.postfix, { LABEL: 'operand' })),
    ]);
  });

  /** `f(x)`, `near.sum(count)[v]`, `logit[v]`, then `^`: right-associative, so 2^-1 = 0.5. */
  public postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.atom);
    this.MANY(() => {
      this.OR([
        alt(() => {
          this.CONSUME(T.Dot);
          this.CONSUME(T.Identifier, { LABEL: 'member' });
        }),
        alt(() => this.SUBRULE(this.argList)),
        alt(() => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.expression, { LABEL: 'index' });
          this.CONSUME(T.RBracket);
        }),
      ]);
    });
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  public atom = this.RULE('atom', () => {
    this.OR([
      alt(() => this.CONSUME(T.NumberLiteral)),
      alt(() => this.CONSUME(T.StringLiteral)),
      alt(() => this.CONSUME(T.Inf)),
      alt(() => this.CONSUME(T.True)),
      alt(() => this.CONSUME(T.False)),
      alt(() => this.CONSUME(T.Identifier)),
      alt(() => this.CONSUME(T.Logit)),
      alt(() => {
        this.CONSUME(T.LParen);
        this.SUBRULE(this.expression);
        this.CONSUME(T.RParen);
      }),
    ]);
  });
}

/**
 * chevrotain's single-token recovery recomputes, at every mismatch, which tokens may follow by
 * walking the grammar from the top rule. The answer depends only on the grammar path (rule stack,
 * occurrences, the expected token), so remember it: broken input parses several times faster.
 * This leans on an internal method of chevrotain 11 and steps aside if it is not there.
 */
interface GrammarPath {
  ruleStack: string[];
  occurrenceStack: number[];
  lastTok: TokenType;
  lastTokOccurrence: number;
}
type NextTokens = (this: CstParser, path: GrammarPath) => TokenType[];
const internals = CstParser.prototype as unknown as { getNextPossibleTokenTypes?: NextTokens };
const original = internals.getNextPossibleTokenTypes;
if (typeof original === 'function') {
  const cache = new Map<string, TokenType[]>();
  (KernelParser.prototype as unknown as { getNextPossibleTokenTypes: NextTokens }).getNextPossibleTokenTypes = function (path) {
    const key = `${path.ruleStack.join('/')}|${path.occurrenceStack.join(',')}|${path.lastTok.name}|${path.lastTokOccurrence}`;
    let hit = cache.get(key);
    if (!hit) cache.set(key, (hit = original.call(this, path)));
    return hit;
  };
}

/** One parser instance, reused (chevrotain parsers are stateful but resettable via `input`). */
export const kernelParser = new KernelParser();

export type { CstNode, IToken };
