// dlmk embed --corpus SPEC --tokenizer SPEC [--source SPEC] --out FILE: token vectors for knn
// graphs (docs/embeddings.md), written as .npy or .safetensors. A SPEC is a plugin name (`sotu`,
// `words`, `corpus`) or a JSON object `{"name": ..., options}` as in a run spec. A .safetensors
// file records the corpus and tokenizer, so `dlmk neighbours FILE --token WORD` can decode words.
import { resolve } from 'node:path';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { userError } from '../errors.ts';

const decl = {
  name: 'embed',
  summary: 'compute token vectors for knn(embeddings) graphs from a corpus (or a checkpoint, GloVe) and write them',
  positionals: [],
  options: {
    corpus: { type: 'string', placeholder: 'SPEC', description: 'the corpus: a plugin name or a JSON object (default sotu)' },
    tokenizer: { type: 'string', placeholder: 'SPEC', description: 'the tokenizer: a plugin name or a JSON object (default words)' },
    source: { type: 'string', placeholder: 'SPEC', description: 'the embedding source: corpus (PPMI + SVD, default), checkpoint, glove, file; a name or a JSON object' },
    out: { type: 'string', placeholder: 'FILE', description: 'where to write the [V, d] matrix (.npy or .safetensors)' },
    'cache-dir': { type: 'string', placeholder: 'DIR', description: 'token and vocabulary caches (default .dlmk-cache)' },
  },
  examples: ['dlmk embed --out sotu-words.safetensors', 'dlmk embed --corpus \'{"name":"text","path":"notes/"}\' --tokenizer gpt2 --source \'{"name":"corpus","dim":64}\' --out notes.npy'],
} as const satisfies CommandDecl;

/** `name` or a JSON object, as a `{ name, ... }` plugin spec. */
export function pluginArg(flag: string, value: string | undefined, def: string): { name: string } & Record<string, unknown> {
  const v = (value ?? def).trim();
  if (!v.startsWith('{')) return { name: v };
  try {
    const doc = JSON.parse(v) as unknown;
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc) && typeof (doc as { name?: unknown }).name === 'string') return doc as { name: string };
  } catch (err) {
    throw new UsageError(`--${flag}: not JSON (${(err as Error).message})`);
  }
  throw new UsageError(`--${flag} takes a plugin name or a JSON object with a "name"`);
}

const embed: Command = {
  name: 'embed',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { options } = parseCommand(decl, ctx.argv);
    if (!options.out) throw new UsageError(`say where the vectors go with --out FILE (.npy or .safetensors)`);
    if (!/\.(npy|safetensors)$/i.test(options.out)) throw new UsageError(`--out ${options.out}: the file name must end in .npy or .safetensors`);
    const { embedCorpus, checkPluginSpec } = await import('../../runtime/train/embed.ts');
    const { writeEmbeddings } = await import('../../runtime/data/embed/index.ts');
    try {
      const corpus = checkPluginSpec('corpus', pluginArg('corpus', options.corpus, 'sotu'), '--corpus');
      const tokenizer = checkPluginSpec('tokenizer', pluginArg('tokenizer', options.tokenizer, 'words'), '--tokenizer');
      const source = checkPluginSpec('embeddings', pluginArg('source', options.source, 'corpus'), '--source');
      const cacheDir = resolve(options['cache-dir'] ?? '.dlmk-cache');
      const r = await embedCorpus({ corpus, tokenizer, source, ctx: { baseDir: process.cwd(), cacheDir, log: (l) => ctx.stderr(l) } });
      await writeEmbeddings(options.out, r.matrix, {
        'dlmk.corpus': JSON.stringify(corpus),
        'dlmk.tokenizer': JSON.stringify(tokenizer),
        'dlmk.tokenizerId': r.tokenizer.id,
        'dlmk.cacheDir': cacheDir,
      });
      ctx.stdout(`wrote ${options.out}: ${r.matrix.V} tokens x ${r.matrix.d} dimensions (${r.matrix.report.summary})`);
      return 0;
    } catch (err) {
      throw userError(err);
    }
  },
};

export default embed;
