// Syntax error messages in the words a researcher uses, never chevrotain's token names.
// chevrotain's message provider only sees the current rule, so it returns a small JSON payload;
// grammar/parse.ts decodes it with the exception's full rule stack and calls `explain`.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from 'chevrotain';
import { didYouMean } from './suggest.ts';
import { reservedWords, statementKeywords } from './lexer/index.ts';

export interface SyntaxErrorInfo {
  kind: 'mismatch' | 'noViableAlt' | 'earlyExit' | 'notAllInput';
  /** Token type name expected (mismatch only). */
  expected?: string;
  ruleName: string;
}

const encode = (info: SyntaxErrorInfo) => JSON.stringify(info);

export const kernelErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) => encode({ kind: 'mismatch', expected: expected.name, ruleName }),
  buildNotAllInputParsedMessage: ({ ruleName }) => encode({ kind: 'notAllInput', ruleName }),
  buildNoViableAltMessage: ({ ruleName }) => encode({ kind: 'noViableAlt', ruleName }),
  buildEarlyExitMessage: ({ ruleName }) => encode({ kind: 'earlyExit', ruleName }),
};

export function decode(message: string): SyntaxErrorInfo | undefined {
  try {
    const x = JSON.parse(message) as SyntaxErrorInfo;
    return typeof x === 'object' && x && typeof x.kind === 'string' ? x : undefined;
  } catch {
    return undefined;
  }
}

const STATEMENTS = 'kernel, param, graph, schedule, channel, hops, loss or sampler';
const VALUE = 'a value (a number, a name, or an expression in parentheses)';

/** How a token reads in a message: 'foo', the number 3, the end of the file. */
export function describeToken(tok: IToken): string {
  if (tok.tokenType === EOF) return 'the end of the file';
  const name = tok.tokenType.name;
  if (name === 'NumberLiteral') return `the number ${tok.image}`;
  if (name === 'StringLiteral') return `the string ${tok.image}`;
  if (name === 'Identifier') return `'${tok.image}'`;
  if (reservedWords.has(tok.image)) return `the keyword '${tok.image}'`;
  return `'${tok.image}'`;
}

function label(tokenName: string, tokens: Record<string, TokenType>): string {
  const t = tokens[tokenName];
  return t?.LABEL ?? tokenName;
}

/** Specific expectations: `rule:Token` -> what the researcher should write. */
const EXPECTED: Record<string, string> = {
  'kernelDecl:Identifier': 'the kernel needs a name: kernel NAME "what it is"',
  'paramDecl:Identifier': 'a param needs a name: param NAME: int|real|bool = DEFAULT in RANGE',
  'paramDecl:Colon': "a param needs ':' and a type after its name: param NAME: int|real|bool = DEFAULT",
  'paramDecl:Equals': "a param needs a default value: param NAME: TYPE = DEFAULT",
  'range:Comma': "a range has two ends separated by ',': [lo, hi]",
  'graphDecl:Identifier': 'a graph needs a name and a builder: graph NAME = knn(embeddings, k = 10, bandwidth = 0.3)',
  'graphDecl:Equals': "expected '=' after the graph's name: graph NAME = knn(...)",
  'graphDecl:LParen': 'the graph builder needs its options in parentheses: knn(embeddings, k = 10, bandwidth = 0.3)',
  'scheduleDecl:Identifier': 'a schedule needs a name: loglinear, cosine, geometric, linear, mutual_info, or Lambda(t) = EXPR',
  'channelDecl:Identifier': 'a channel needs an operator: mask, reset(...) or jump(...)',
  'lossDecl:Identifier': 'a loss needs a kind: elbo, ce or weighted_ce(EXPR)',
  'samplerDecl:Identifier': 'a sampler needs a predictor: ancestral, tau_leap, remask, confidence or self_correct',
  'samplerDecl:RCurly': "the sampler's rules need a closing '}'",
  'logitRule:LBracket': 'a logit rule reads: logit[v] -= EXPR',
  'logitRule:RBracket': "expected ']' after logit[v",
  'logitRule:AssignOp': 'a logit rule needs an assignment: logit[v] = EXPR, or +=, -=, *=, /=',
  'denoiseRule:Identifier': 'denoise takes argmax, sample or none',
  'argList:RParen': "expected ',' or ')' in the argument list",
  'arg:Equals': "expected '=' after the option's name",
  'atom:RParen': "expected ')' to close the parenthesis",
  'postfix:RBracket': "expected ']' after the index",
  'postfix:Identifier': "expected a name after '.', as in near.sum(count)[v]",
  'unknownRule:RBracket': "expected ']' after the index",
};

/** Statement-level context for a missing value, from the innermost rule that explains it. */
const VALUE_CONTEXT: Array<[string, string]> = [
  ['range', 'a range needs two ends: in [lo, hi], in (0, inf)'],
  ['paramDecl', 'a param needs a default value: param NAME: TYPE = DEFAULT'],
  ['channelClause', 'weight and rate need an expression of t, e.g. weight 0.3 or rate 2 * t'],
  ['hopsDecl', 'hops takes a number of hops (hops 8) or adaptive(cap = N)'],
  ['logitRule', 'a logit rule needs an expression: logit[v] -= EXPR'],
  ['valueRule', 'this sampler rule needs a value, e.g. top_p 0.95'],
  ['scheduleDecl', 'a schedule written as an expression reads: schedule Lambda(t) = EXPR'],
];

export interface ExplainInput {
  info: SyntaxErrorInfo | undefined;
  /** The chevrotain exception's rule stack (outermost first). */
  ruleStack: string[];
  actual: IToken;
  previous: IToken | undefined;
  tokens: Record<string, TokenType>;
  /** The exception's own message, when it was not ours. */
  raw: string;
}

export function explain({ info, ruleStack, actual, previous, tokens, raw }: ExplainInput): string {
  const found = `found ${describeToken(actual)}`;
  const after = previous && previous.image && previous.tokenType !== EOF ? ` after '${previous.image}'` : '';
  if (!info) return raw;
  const rule = info.ruleName;

  // A reserved word where a declaration's name was expected is the commonest confusion.
  const declaring = rule === 'paramDecl' || rule === 'graphDecl' || rule === 'kernelDecl';
  if (declaring && info.kind === 'mismatch' && info.expected === 'Identifier' && reservedWords.has(actual.image) && !statementKeywords.includes(actual.tokenType)) {
    const base = EXPECTED[`${rule}:Identifier`] ?? `expected a name${after}`;
    return `${base}; '${actual.image}' is a reserved word and cannot be used as a name`;
  }

  if (info.kind === 'mismatch' && info.expected === 'EOF') {
    // The top-level repetition stopped at something that is not a statement.
    if (actual.tokenType.name === 'RCurly') return `unexpected '}': no sampler block is open here`;
    // Clause words too: `channel mask wieght 0.5` stops the channel at the typo.
    const words = [...statementKeywords.map((k) => String(k.LABEL).slice(1, -1)), 'weight', 'rate'];
    const hint = actual.tokenType.name === 'Identifier' ? didYouMean(actual.image, words) : '';
    return `expected a statement (${STATEMENTS}), ${found}${hint}`;
  }

  if (info.kind === 'mismatch') {
    // The innermost rule that has a word for this token: `knn` without `(` is the graph's business.
    const rules = [rule, ...[...ruleStack].reverse()];
    const specific = rules.map((r) => EXPECTED[`${r}:${info.expected}`]).find((m) => m !== undefined);
    if (specific) return `${specific}; ${found}`;
    return `expected ${label(info.expected ?? '', tokens)}${after}, ${found}`;
  }

  if (info.kind === 'noViableAlt' || info.kind === 'earlyExit') {
    switch (rule) {
      case 'statement':
        return `expected a statement (${STATEMENTS}), ${found}`;
      case 'samplerRule':
        return (
          'expected a sampler rule (logit[v] -= EXPR, temperature, top_k, top_p, min_p, repetition_penalty, ' +
          `cache or denoise argmax|sample|none), ${found}`
        );
      case 'range':
        return `a range starts with '[' (closed) or '(' (open) and ends with ']' or ')', as in [0, 1] or (0, inf); ${found}`;
      case 'channelClause':
        return `expected weight EXPR or rate EXPR, ${found}`;
      case 'atom':
      case 'unary': {
        for (let i = ruleStack.length - 1; i >= 0; i--) {
          const ctx = VALUE_CONTEXT.find(([r]) => r === ruleStack[i]);
          if (ctx) return `expected ${VALUE}${after}, ${found}; ${ctx[1]}`;
        }
        return `expected ${VALUE}${after}, ${found}`;
      }
    }
  }
  if (info.kind === 'notAllInput') return `expected a statement (${STATEMENTS}), ${found}`;
  return `unexpected ${describeToken(actual)}${after}`;
}
