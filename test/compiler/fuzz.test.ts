// Fuzzing the front end with a fixed seed: token deletions, insertions, swaps and character
// noise over the shipped kernels and valid fixtures, plus random token soups and random text.
// No exception may escape checkKernel (it turns them into `internal` diagnostics, which count as
// failures here), every input gets a spec or at least one error, every diagnostic points inside
// the text and speaks in words (no parser token names), and whatever parses cleanly survives a
// formatter round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKernel, formatDiagnostics, formatKernel } from '../../compiler/index.ts';
import { parse } from '../../grammar/index.ts';
import { astShape } from './ast-shape.ts';
import { mulberry32 } from '../../runtime/data/random.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const corpus = [
  ...readdirSync(join(root, 'kernels')).map((f) => join(root, 'kernels', f)),
  ...readdirSync(join(root, 'test/fixtures/valid')).filter((f) => f.endsWith('.kernel')).map((f) => join(root, 'test/fixtures/valid', f)),
].filter((f) => f.endsWith('.kernel')).map((f) => readFileSync(f, 'utf8'));

const rng = (seed: number) => mulberry32(seed);
const rand = rng(0x5eed_2024);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

/** Pieces of text with their offsets: words, numbers, strings, operators, comments. */
const PIECE = /\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"?|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[A-Za-z_]\w*|[+\-*/=!<>&|]=?|&&|\|\||[()[\]{},:;.^]|\S/g;
function pieces(text: string): Array<{ at: number; s: string }> {
  return [...text.matchAll(PIECE)].map((m) => ({ at: m.index!, s: m[0] }));
}
const vocabulary = [
  ...new Set(corpus.flatMap((t) => pieces(t).map((p) => p.s))),
  'hops', 'adaptive', 'rate', 'weight', 'inf', 'true', 'false', 'Lambda', 't', 's', 'step', 'v', 'if', '1e400', '-', '"', '\n', '', '@', 'λ',
];
const NOISE = ['(', ')', '[', ']', '{', '}', '"', ',', '=', ';', '\n', ' ', '.', '#', '\t', '\u0000', 'é', '/', '*', '0', '9', 'e', '_'];

function mutate(text: string): string {
  let out = text;
  const n = 1 + int(4);
  for (let i = 0; i < n; i++) {
    const ps = pieces(out);
    const p = ps.length ? pick(ps) : { at: 0, s: '' };
    const q = ps.length ? pick(ps) : p;
    switch (int(9)) {
      case 0: // delete a token
        out = out.slice(0, p.at) + out.slice(p.at + p.s.length);
        break;
      case 1: // insert a token
        out = out.slice(0, p.at) + pick(vocabulary) + ' ' + out.slice(p.at);
        break;
      case 2: { // swap two tokens
        const [a, b] = p.at < q.at ? [p, q] : [q, p];
        if (a.at + a.s.length <= b.at) out = out.slice(0, a.at) + b.s + out.slice(a.at + a.s.length, b.at) + a.s + out.slice(b.at + b.s.length);
        break;
      }
      case 3: // replace a token
        out = out.slice(0, p.at) + pick(vocabulary) + out.slice(p.at + p.s.length);
        break;
      case 4: { // character noise
        const at = int(out.length + 1);
        out = out.slice(0, at) + pick(NOISE) + out.slice(at + int(2));
        break;
      }
      case 5: { // drop a line
        const lines = out.split('\n');
        lines.splice(int(lines.length), 1);
        out = lines.join('\n');
        break;
      }
      case 6: { // duplicate a line
        const lines = out.split('\n');
        const k = int(lines.length);
        lines.splice(k, 0, lines[k] ?? '');
        out = lines.join('\n');
        break;
      }
      case 7: // truncate
        out = out.slice(0, int(out.length + 1));
        break;
      case 8: { // a number to an extreme
        const nums = ps.filter((x) => /^\d/.test(x.s));
        if (nums.length) {
          const m = pick(nums);
          out = out.slice(0, m.at) + pick(['0', '1e308', '1e-320', '2.5', '1000000', '-1']) + out.slice(m.at + m.s.length);
        }
        break;
      }
    }
  }
  return out;
}

const randomTokens = () => Array.from({ length: int(60) }, () => pick(vocabulary)).join(pick([' ', '\n', '']));
const randomChars = () => Array.from({ length: int(200) }, () => String.fromCharCode(int(3) ? 32 + int(95) : int(0x3000))).join('');

/** Parser-internal words that must never reach a researcher. */
const INTERNAL = /-->|<--|Expecting|token sequences|NoViableAlt|Mismatched|EarlyExit|\bEOF\b|\b(Identifier|NumberLiteral|StringLiteral|LParen|RParen|LCurly|RCurly|LBracket|RBracket|AssignOp|AddOp|MulOp|CmpOp)\b|undefined|NaN:|\[object/;

test('10,000 mutants and 1,000 random inputs: no crash, a spec or an error, diagnostics in words', () => {
  const inputs: string[] = [];
  for (let i = 0; i < 10_000; i++) inputs.push(mutate(corpus[i % corpus.length]!));
  for (let i = 0; i < 600; i++) inputs.push(randomTokens());
  for (let i = 0; i < 400; i++) inputs.push(randomChars());
  let specs = 0;
  let roundTrips = 0;
  inputs.forEach((text, i) => {
    const r = checkKernel(text, { path: 'fuzz.kernel' });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    // Messages are built only on failure: formatting every input would dominate the run.
    const fail = (why: string) => assert.unreachable(`${why}\ninput:\n${text}\n---\n${formatDiagnostics(r.diagnostics, text)}`);
    if (r.diagnostics.some((d) => d.code === 'internal')) fail('an exception escaped the compiler');
    if (r.spec ? errors.length !== 0 : errors.length === 0) fail('a spec and errors, or neither');
    for (const d of r.diagnostics) {
      if (!(d.line >= 1 && d.column >= 1 && d.offset >= 0 && d.offset <= text.length + 1 && d.endOffset >= d.offset)) fail(`a diagnostic outside the text: ${JSON.stringify(d)}`);
      if (!d.message || INTERNAL.test(d.message)) fail(`parser jargon in "${d.message}"`);
    }
    if (i % 8 === 0) formatDiagnostics(r.diagnostics, text); // must not throw either
    if (r.spec) specs++;
    // Every fourth input that parses also goes through the formatter (the costliest check).
    if (i % 4 === 0 && !r.diagnostics.some((d) => d.code === 'syntax')) {
      const once = formatKernel(text);
      assert.is(formatKernel(once), once, `fmt is not idempotent on:\n${text}`);
      assert.equal(astShape(parse(once).ast), astShape(parse(text).ast), `fmt changed the meaning of:\n${text}`);
      roundTrips++;
    }
  });
  // The mutants must exercise both outcomes, or the test proves little.
  assert.ok(specs > 200 && specs < inputs.length - 2000, `specs: ${specs}`);
  assert.ok(roundTrips > 300, `round trips: ${roundTrips}`);
});

test.run();
