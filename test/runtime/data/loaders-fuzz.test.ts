// Issue #13: the binary loaders (.npy, .safetensors embeddings) and the JSON graph loader, fed
// thousands of mutated files from a fixed seed: every outcome is a loaded value that checks out
// or the loader's own error naming the file; never a raw JS error, a hang or a huge allocation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { EmbeddingsError, parseNpy, parseSafetensors } from '../../../runtime/data/embeddings.ts';
import { graphFromJson } from '../../../runtime/kernel/graph.ts';
import { KernelRuntimeError } from '../../../runtime/kernel/errors.ts';
import { parseJsonText } from '../../../specs/kernel-check.ts';
import { SpecValidationError } from '../../../specs/validate.ts';
import { mulberry32 } from '../../../runtime/data/random.ts';
import { checkLaw, normaliseLaw, RateTablesError } from '../../../runtime/kernel/tables/index.ts';

const rand = mulberry32(0x13f022);
const int = (n: number) => Math.floor(rand() * n);
const fixture = (name: string) => new Uint8Array(readFileSync(`test/fixtures/embeddings/${name}`));

/** Interesting byte strings to splice in: digits, signs, huge numbers, header punctuation. */
const SPLICES = ['-', '-2', '0', '99999999999', '1e308', 'NaN', '(', ')', ',', "'", '"', '{', '}', '[', ']', ':', '\u0000', '\u00ff', 'F64', 'BF16', '<f8', '>f4'].map((s) => Buffer.from(s, 'latin1'));

function mutate(base: Uint8Array): Uint8Array {
  let b = Buffer.from(base);
  const n = 1 + int(4);
  for (let k = 0; k < n; k++) {
    // Most mutations aim at the header (the first 128 bytes), where the structure is.
    const at = rand() < 0.7 ? int(Math.min(b.length, 128)) : int(b.length);
    switch (int(6)) {
      case 0: b[at] = int(256); break;
      case 1: b = b.subarray(0, at); break;
      case 2: b = Buffer.concat([b.subarray(0, at), SPLICES[int(SPLICES.length)]!, b.subarray(at + int(3))]); break;
      case 3: b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256))), b.subarray(at)]); break;
      case 4: b.writeUInt8(0xff, at % Math.max(1, b.length)); break;
      default: {
        // Little-endian size fields: the npy header length (bytes 8-9) or the safetensors header length (0-7).
        const field = rand() < 0.5 ? 0 : 8;
        if (b.length > field + 2) b.writeUInt16LE(int(65536), field);
      }
    }
    if (b.length === 0) break;
  }
  return new Uint8Array(b);
}

/** Runs `f`, which must return a value or throw one of `ok`; a time bound per call. */
function outcome(what: string, input: Uint8Array | string, ok: Array<new (...a: never[]) => Error>, f: () => void): 'value' | 'error' {
  const t0 = performance.now();
  try {
    f();
    return 'value';
  } catch (err) {
    if (!ok.some((E) => err instanceof E)) {
      const shown = typeof input === 'string' ? input.slice(0, 300) : Buffer.from(input.subarray(0, 160)).toString('hex');
      assert.unreachable(`${what}: a raw ${(err as Error)?.name}: ${(err as Error)?.message}\ninput: ${shown}`);
    }
    assert.match((err as Error).message, /fuzz\.(npy|safetensors|json)/, `${what}: the message names the file: ${(err as Error).message}`);
    return 'error';
  } finally {
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${what}: ${ms} ms for one file`);
  }
}

test('3,000 mutated .npy and 3,000 .safetensors files: a checked matrix or an EmbeddingsError naming the file', () => {
  const bases = { npy: [fixture('tiny_f4.npy'), fixture('tiny_f8.npy'), fixture('tiny_f8_be.npy')], safetensors: [fixture('one.safetensors'), fixture('two.safetensors')] };
  const counts = { value: 0, error: 0 };
  for (let i = 0; i < 6000; i++) {
    const npy = i % 2 === 0;
    const list = npy ? bases.npy : bases.safetensors;
    const input = mutate(list[int(list.length)]!);
    const r = outcome(npy ? '.npy' : '.safetensors', input, [EmbeddingsError], () => {
      const e = npy ? parseNpy(input, 'fuzz.npy') : parseSafetensors(input, 'fuzz.safetensors', rand() < 0.5 ? undefined : 'embeddings');
      assert.ok(Number.isInteger(e.V) && e.V >= 1 && Number.isInteger(e.d) && e.d >= 1, `shape ${e.V} x ${e.d}`);
      assert.is(e.data.length, e.V * e.d);
      for (const x of e.data) assert.ok(Number.isFinite(x), 'every value finite');
    });
    counts[r]++;
  }
  // Both outcomes occur, or the mutations prove little.
  assert.ok(counts.value > 100 && counts.error > 1000, JSON.stringify(counts));
});

test('3,000 mutated JSON graphs: a checked row-stochastic CSR graph or an error naming the file', () => {
  const V = 6;
  const rowPtr = [0, 2, 4, 6, 8, 10, 12];
  const col = Array.from({ length: 12 }, (_, j) => (Math.floor(j / 2) + 1 + (j % 2)) % V);
  const w = Array.from({ length: 12 }, (_, j) => (j % 2 ? 0.25 : 0.75));
  const base = new Uint8Array(Buffer.from(JSON.stringify({ V, rowPtr, col, w })));
  const counts = { value: 0, error: 0 };
  const VALUES: unknown[] = [-1, 0, 0.5, 1, 2, 5, 6, 1e9, -1e9, 1e308, 0.1, 'x', null, [], {}];
  /** Structured: entries replaced, removed or added (some keep the graph valid: a column moved within range, weights swapped in a row). */
  const structured = (): string => {
    const doc = { V: V as unknown, rowPtr: [...rowPtr] as unknown[], col: [...col] as unknown[], w: [...w] as unknown[] };
    for (let k = 0, n = 1 + int(3); k < n; k++) {
      const key = (['rowPtr', 'col', 'w', 'col', 'w'] as const)[int(5)]!;
      const arr = doc[key];
      const j = int(arr.length);
      const m = int(8);
      if (m === 0) arr.splice(j, 1);
      else if (m === 1) arr.push(VALUES[int(VALUES.length)]);
      else if (m === 2 && key === 'col') arr[j] = int(V);
      else if (m === 3 && key === 'w') [arr[j], arr[j ^ 1]] = [arr[j ^ 1], arr[j]];
      else if (m === 4 && k === 0) doc.V = VALUES[int(VALUES.length)];
      else arr[j] = VALUES[int(VALUES.length)];
    }
    return JSON.stringify(doc);
  };
  for (let i = 0; i < 3000; i++) {
    const text = i % 2 ? structured() : Buffer.from(mutate(base)).toString('utf8');
    const input = text;
    const r = outcome('graph', text, [SpecValidationError, KernelRuntimeError], () => {
      const g = graphFromJson(parseJsonText(text, 'fuzz.json'), 'fuzz.json', V);
      assert.is(g.rowPtr.length, V + 1);
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let j = g.rowPtr[v]!; j < g.rowPtr[v + 1]!; j++) s += g.w[j]!;
        assert.ok(g.rowPtr[v + 1] === g.rowPtr[v] || Math.abs(s - 1) < 1e-9, `row ${v} sums to ${s}`);
      }
    });
    counts[r]++;
  }
  assert.ok(counts.value > 30 && counts.error > 1000, JSON.stringify(counts));
});

test('a graph nested thousands deep, rowPtr of 1e9, and non-JSON text: refused by name, at once', () => {
  const cases: Array<[string, RegExp]> = [
    ['['.repeat(100_000) + ']'.repeat(100_000), /fuzz\.json' nests 100000 levels deep at line 1, column \d+, more than the limit 512/],
    [JSON.stringify({ V: 3, rowPtr: [0, 1e9, 1e9, 1e9], col: [1], w: [1] }), /rowPtr\[V\] = 1000000000 entries, more than the limit/],
    ['V=3 rowPtr=0,1', /fuzz\.json' is not JSON/],
    [JSON.stringify({ V: 3, rowPtr: [0, 1, 2, 3], col: [1, 2, 0], w: [1, 1, NaN] }).replace('null', '-1'), /'fuzz\.json': row 2 \(entry 2\) has weight -1; weights must be finite and >= 0/],
  ];
  for (const [text, message] of cases) {
    const t0 = performance.now();
    try {
      graphFromJson(parseJsonText(text, 'fuzz.json'), 'fuzz.json', 3);
      assert.unreachable('accepted');
    } catch (err) {
      assert.ok(err instanceof SpecValidationError || err instanceof KernelRuntimeError, String(err));
      assert.match((err as Error).message, message);
    }
    assert.ok(performance.now() - t0 < 1000);
  }
});

test('laws: weights near 1e308 normalise without overflow; NaN, inf, negative and all-zero weights are refused by entry', () => {
  const p = normaliseLaw(new Float64Array(8).fill(1e308), "'u.json'");
  for (const x of p) assert.is(x, 0.125);
  checkLaw(p, 8, 'p');
  for (const [xs, message] of [[[1, NaN], /'u\.json': entry 1 is NaN/], [[1, Infinity], /entry 1 is Infinity/], [[0, -1], /entry 1 is -1/], [[0, 0], /every entry is 0/]] as const) {
    assert.throws(() => normaliseLaw(xs, "'u.json'"), (e: unknown) => e instanceof RateTablesError && message.test((e as Error).message));
  }
  assert.throws(() => checkLaw(new Float64Array(4), 4, 'the unigram law'), /sums to 0, not 1 \(no token has mass: were its values so large that their sum overflowed/);
});

test.run();
