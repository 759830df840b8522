// Names, numbers and strings. `UnterminatedString` is an error token: it never reaches the
// parser, and grammar/parse.ts turns it into a diagnostic.
import { createToken } from 'chevrotain';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: 'a number',
});

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a quoted string' });

export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\.)*/,
  group: 'errors',
});

/** 'text': an error token, so that the message can say what to write instead. */
export const SingleQuoted = createToken({ name: 'SingleQuoted', pattern: /'[^'\n\r]*'?/, group: 'errors' });

export const literalTokens = [NumberLiteral, StringLiteral, UnterminatedString, SingleQuoted];
