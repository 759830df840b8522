// A small synthetic English-like corpus for training tests: sentences from a few templates over
// word classes (animals, colours, verbs, places, adjectives), each document about two animals.
// Positions in a sentence are predictable (grammar) and words within a class are interchangeable
// (semantic neighbours), so a tiny denoiser learns far more than the unigram law in a few hundred
// steps, and corpus embeddings put a class's words next to each other.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../../runtime/data/random.ts';

export const CLASSES = {
  animal: ['cat', 'dog', 'horse', 'cow', 'sheep', 'goat'],
  colour: ['red', 'blue', 'green', 'yellow', 'black', 'white'],
  verb: ['sees', 'likes', 'chases', 'finds', 'feeds', 'follows'],
  place: ['farm', 'field', 'barn', 'river', 'hill', 'road'],
  adj: ['big', 'small', 'old', 'young', 'quick', 'slow'],
} as const;

const TEMPLATES = [
  'the ADJ A1 VERB the COLOUR A2 .',
  'a COLOUR A1 runs to the PLACE .',
  'the A2 is ADJ and COLOUR .',
  'every A1 VERB a ADJ A2 near the PLACE .',
];

/** `docs` documents of `sentences` sentences each, deterministic in `seed`. */
export function toyDocuments(docs: number, sentences: number, seed = 1): string[] {
  const u = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)]!;
  const out: string[] = [];
  for (let d = 0; d < docs; d++) {
    const a1 = pick(CLASSES.animal);
    let a2 = pick(CLASSES.animal);
    while (a2 === a1) a2 = pick(CLASSES.animal);
    const lines: string[] = [];
    for (let s = 0; s < sentences; s++) {
      lines.push(
        pick(TEMPLATES)
          .replace('A1', a1)
          .replace('A2', a2)
          .replace('ADJ', pick(CLASSES.adj))
          .replace('VERB', pick(CLASSES.verb))
          .replace('COLOUR', pick(CLASSES.colour))
          .replace('PLACE', pick(CLASSES.place)),
      );
    }
    out.push(lines.join(' '));
  }
  return out;
}

/** Writes the documents as one text file per document into `dir` (a `text` corpus folder). */
export function writeToyCorpus(dir: string, docs = 240, sentences = 24, seed = 1): string {
  mkdirSync(dir, { recursive: true });
  toyDocuments(docs, sentences, seed).forEach((t, i) => writeFileSync(join(dir, `doc-${String(i).padStart(4, '0')}.txt`), t + '\n'));
  return dir;
}

/** A run spec on the toy corpus (tiny DiT, words tokenizer), for `kernel` (a shipped name or a path). */
export function toySpec(corpusDir: string, kernel: string | null, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'dlmk.run/1',
    seed: 3,
    data: { corpus: { name: 'text', path: corpusDir, validation: 0.1, test: 0.05 }, tokenizer: { name: 'words', size: 256 }, length: 32, mode: 'packed' },
    model: kernel === null ? { arch: 'ar', size: 'tiny', dropout: 0 } : { arch: 'dit', size: 'tiny', dropout: 0 },
    ...(kernel === null ? {} : { kernel: { path: kernel } }),
    optimizer: { lr: 0.003, warmupSteps: 20, decay: 'cosine', minLrRatio: 0.1, clip: 1, emaDecay: 0.99 },
    batchSize: 16,
    budget: { steps: 200 },
    validation: { every: 0, rows: 32, grid: 8 },
    checkpoint: { every: 0, keep: 2 },
    log: { every: 10 },
    ...over,
  };
}
