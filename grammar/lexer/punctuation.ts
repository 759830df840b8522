// Operators and punctuation. Categories group the operators of one precedence level so that the
// parser consumes "an additive operator" in one place. Longer spellings come first in the list.
import { createToken, Lexer, type TokenType } from 'chevrotain';

const cat = (name: string, label: string, categories: TokenType[] = []) => createToken({ name, pattern: Lexer.NA, label, categories });
/** Every binary operator but `^` (which binds tighter than unary minus and is parsed apart). */
export const BinaryOp = cat('BinaryOp', 'an operator');
export const AddOp = cat('AddOp', "'+' or '-'", [BinaryOp]);
export const MulOp = cat('MulOp', "'*' or '/'", [BinaryOp]);
export const CmpOp = cat('CmpOp', 'a comparison', [BinaryOp]);
export const AssignOp = cat('AssignOp', "'=', '+=', '-=', '*=' or '/='");

const tok = (name: string, text: string, categories: TokenType[] = []) =>
  createToken({ name, pattern: text, label: `'${text}'`, categories });

export const PlusEq = tok('PlusEq', '+=', [AssignOp]);
export const MinusEq = tok('MinusEq', '-=', [AssignOp]);
export const StarEq = tok('StarEq', '*=', [AssignOp]);
export const SlashEq = tok('SlashEq', '/=', [AssignOp]);
export const EqEq = tok('EqEq', '==', [CmpOp]);
export const NotEq = tok('NotEq', '!=', [CmpOp]);
export const LtEq = tok('LtEq', '<=', [CmpOp]);
export const GtEq = tok('GtEq', '>=', [CmpOp]);
export const AndAnd = tok('AndAnd', '&&', [BinaryOp]);
export const OrOr = tok('OrOr', '||', [BinaryOp]);
export const Lt = tok('Lt', '<', [CmpOp]);
export const Gt = tok('Gt', '>', [CmpOp]);
export const Equals = tok('Equals', '=', [AssignOp]);
export const Bang = tok('Bang', '!');
export const Plus = tok('Plus', '+', [AddOp]);
export const Minus = tok('Minus', '-', [AddOp]);
export const Star = tok('Star', '*', [MulOp]);
export const Slash = tok('Slash', '/', [MulOp]);
export const Caret = tok('Caret', '^');
export const LParen = tok('LParen', '(');
export const RParen = tok('RParen', ')');
export const LBracket = tok('LBracket', '[');
export const RBracket = tok('RBracket', ']');
export const LCurly = tok('LCurly', '{');
export const RCurly = tok('RCurly', '}');
export const Comma = tok('Comma', ',');
export const Colon = tok('Colon', ':');
export const Semicolon = tok('Semicolon', ';');
export const Dot = tok('Dot', '.');

export const categoryTokens = [BinaryOp, AddOp, MulOp, CmpOp, AssignOp];
export const punctuationTokens = [
  PlusEq, MinusEq, StarEq, SlashEq, EqEq, NotEq, LtEq, GtEq, AndAnd, OrOr,
  Lt, Gt, Equals, Bang, Plus, Minus, Star, Slash, Caret,
  LParen, RParen, LBracket, RBracket, LCurly, RCurly, Comma, Colon, Semicolon, Dot,
];
