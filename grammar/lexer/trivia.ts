// Whitespace and comments: skipped by the parser. Comments go to their own group so that the
// formatter can put them back and a param's trailing comment can become its doc.
import { createToken, Lexer } from 'chevrotain';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED, line_breaks: true });

/** `// ...` to the end of the line (the language has no block comments). */
export const Comment = createToken({ name: 'Comment', pattern: /\/\/[^\n\r]*/, group: 'comments' });

/** `/* ... *\/` is an error token: reported once, whole, instead of as a pile of operators. */
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?(?:\*\/|(?![\s\S]))/, group: 'errors', line_breaks: true });

export const triviaTokens = [WhiteSpace, BlockComment, Comment];
