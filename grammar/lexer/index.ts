// The .kernel lexer: token families in matching order (trivia, keywords before the identifier
// they would otherwise be read as, literals, then operators longest first).
import { Lexer, type TokenType } from 'chevrotain';
import { triviaTokens } from './trivia.ts';
import { keywordTokens } from './keywords.ts';
import { Identifier, literalTokens } from './literals.ts';
import { categoryTokens, punctuationTokens } from './punctuation.ts';

export * from './trivia.ts';
export * from './keywords.ts';
export * from './literals.ts';
export * from './punctuation.ts';

export const allTokens: TokenType[] = [
  ...triviaTokens,
  ...keywordTokens,
  Identifier,
  ...literalTokens,
  ...categoryTokens,
  ...punctuationTokens,
];

export const kernelLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: true });
