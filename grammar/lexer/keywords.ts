// Reserved words. Statement keywords start every top-level statement, so a newline never has to
// end one; sampler-rule keywords let `cache` stand alone before the next rule. Everything else a
// file names (operators, schedules, predictors, distributions, functions) is an identifier that
// the compiler resolves, so that a misspelling gets a "did you mean" instead of a parse error.
import { createToken, type TokenType } from 'chevrotain';
import { Identifier } from './literals.ts';

function keyword(word: string, name = word[0]!.toUpperCase() + word.slice(1).replace(/_(\w)/g, (_, c: string) => c.toUpperCase())): TokenType {
  return createToken({ name, pattern: new RegExp(word + '\\b'), longer_alt: Identifier, label: `'${word}'` });
}

// Statements.
export const Kernel = keyword('kernel');
export const Param = keyword('param');
export const Graph = keyword('graph');
export const Schedule = keyword('schedule');
export const Channel = keyword('channel');
export const Loss = keyword('loss');
export const Sampler = keyword('sampler');
export const Hops = keyword('hops');

// Clauses.
export const Weight = keyword('weight');
export const Rate = keyword('rate');
export const In = keyword('in');

// Literals spelled as words.
export const Inf = keyword('inf');
export const True = keyword('true');
export const False = keyword('false');

// Sampler rules.
export const Logit = keyword('logit');
export const Cache = keyword('cache');
export const Denoise = keyword('denoise');
export const Temperature = keyword('temperature');
export const TopK = keyword('top_k');
export const TopP = keyword('top_p');
export const MinP = keyword('min_p');
export const RepetitionPenalty = keyword('repetition_penalty');

export const statementKeywords = [Kernel, Param, Graph, Schedule, Channel, Loss, Sampler, Hops];
export const valueRuleKeywords = [Temperature, TopK, TopP, MinP, RepetitionPenalty];
export const ruleKeywords = [Logit, Cache, Denoise, ...valueRuleKeywords];

export const keywordTokens = [...statementKeywords, Weight, Rate, In, Inf, True, False, ...ruleKeywords];

/** Every reserved word, for messages such as "'rate' is a reserved word". */
export const reservedWords: ReadonlySet<string> = new Set(keywordTokens.map((k) => String(k.LABEL).slice(1, -1)));
