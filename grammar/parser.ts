// The one CstParser of the .kernel language. Error recovery is on: a broken statement is
// re-synchronised at the next statement keyword, so one pass reports every syntax error and the
// compiler still checks the statements that parsed. Messages come from grammar/messages.ts.
import { CstParser, type CstNode, type IToken } from 'chevrotain';
import * as T from './lexer/index.ts';
import { kernelErrorMessages } from './messages.ts';

export class KernelParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: kernelErrorMessages, nodeLocationTracking: 'none' });
    this.performSelfAnalysis();
  }

  // ─── statements ────────────────────────────────────────────────────────────────────────────

  public kernelFile = this.RULE('kernelFile', () => {
    this.MANY(() => this.SUBRULE(this.statement));
  });

  public statement = this.RULE('statement', () => {
    this.OR({
      DEF: [
        { ALT: () => this.SUBRULE(this.kernelDecl) },
        { ALT: () => this.SUBRULE(this.paramDecl) },
        { ALT: () => this.SUBRULE(this.graphDecl) },
        { ALT: () => this.SUBRULE(this.scheduleDecl) },
        { ALT: () => this.SUBRULE(this.channelDecl) },
        { ALT: () => this.SUBRULE(this.hopsDecl) },
        { ALT: () => this.SUBRULE(this.lossDecl) },
        { ALT: () => this.SUBRULE(this.samplerDecl) },
      ],
    });
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
    this.OR([{ ALT: () => this.CONSUME(T.LBracket, { LABEL: 'open' }) }, { ALT: () => this.CONSUME(T.LParen, { LABEL: 'open' }) }]);
    this.SUBRULE(this.expression, { LABEL: 'lo' });
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.expression, { LABEL: 'hi' });
    this.OR2([{ ALT: () => this.CONSUME(T.RBracket, { LABEL: 'close' }) }, { ALT: () => this.CONSUME(T.RParen, { LABEL: 'close' }) }]);
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
    this.OR([{ ALT: () => this.CONSUME(T.Weight, { LABEL: 'clause' }) }, { ALT: () => this.CONSUME(T.Rate, { LABEL: 'clause' }) }]);
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
        this.OR([{ ALT: () => this.SUBRULE(this.samplerRule) }, { ALT: () => this.CONSUME(T.Semicolon) }]);
      });
      this.CONSUME(T.RCurly);
    });
  });

  public samplerRule = this.RULE('samplerRule', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.logitRule) },
      { ALT: () => this.CONSUME(T.Cache) },
      { ALT: () => this.SUBRULE(this.denoiseRule) },
      { ALT: () => this.SUBRULE(this.valueRule) },
      { ALT: () => this.SUBRULE(this.unknownRule) },
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
    this.OR(T.valueRuleKeywords.map((k) => ({ ALT: () => this.CONSUME(k, { LABEL: 'rule' }) })));
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

  // ─── expressions, loosest binding first ────────────────────────────────────────────────────

  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.OrOr, { LABEL: 'operator' });
      this.SUBRULE2(this.andExpr, { LABEL: 'operand' });
    });
  });

  public andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.comparison, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.AndAnd, { LABEL: 'operator' });
      this.SUBRULE2(this.comparison, { LABEL: 'operand' });
    });
  });

  /** Comparisons do not chain: `a < b < c` is an error. */
  public comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive, { LABEL: 'operand' });
    this.OPTION(() => {
      this.CONSUME(T.CmpOp, { LABEL: 'operator' });
      this.SUBRULE2(this.additive, { LABEL: 'operand' });
    });
  });

  public additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.AddOp, { LABEL: 'operator' });
      this.SUBRULE2(this.multiplicative, { LABEL: 'operand' });
    });
  });

  public multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operand' });
    this.MANY(() => {
      this.CONSUME(T.MulOp, { LABEL: 'operator' });
      this.SUBRULE2(this.unary, { LABEL: 'operand' });
    });
  });

  /** `-x^2` is `-(x^2)`, as in mathematics. */
  public unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Minus, { LABEL: 'operator' }) }, { ALT: () => this.CONSUME(T.Bang, { LABEL: 'operator' }) }]);
          this.SUBRULE(this.unary, { LABEL: 'operand' });
        },
      },
      { ALT: () => this.SUBRULE(this.power, { LABEL: 'operand' }) },
    ]);
  });

  /** `^` is right-associative and binds tighter than unary minus on its left: 2^-1 = 0.5. */
  public power = this.RULE('power', () => {
    this.SUBRULE(this.postfix, { LABEL: 'base' });
    this.OPTION(() => {
      this.CONSUME(T.Caret);
      this.SUBRULE(this.unary, { LABEL: 'exponent' });
    });
  });

  /** `f(x)`, `near.sum(count)[v]`, `logit[v]` */
  public postfix = this.RULE('postfix', () => {
    this.SUBRULE(this.atom);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME(T.Identifier, { LABEL: 'member' });
          },
        },
        { ALT: () => this.SUBRULE(this.argList) },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.SUBRULE(this.expression, { LABEL: 'index' });
            this.CONSUME(T.RBracket);
          },
        },
      ]);
    });
  });

  public atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.Inf) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.Logit) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });
}

/** One parser instance, reused (chevrotain parsers are stateful but resettable via `input`). */
export const kernelParser = new KernelParser();

export type { CstNode, IToken };
