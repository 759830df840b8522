// dlmk neighbours FILE --token WORD | --id N [--k K] [--bandwidth B]: a token's neighbours in the
// knn graph a kernel would build from these vectors (same rule: cosine, top k, weights
// exp((cos - 1) / bandwidth), normalised), so a user can see whether the graph is semantic.
// Words are looked up with the tokenizer recorded by `dlmk embed` (or given with --corpus/--tokenizer).
import { readFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { userError } from '../errors.ts';
import { pluginArg } from './embed.ts';

const decl = {
  name: 'neighbours',
  summary: "print a token's graph neighbours in an embeddings file",
  positionals: [{ name: 'FILE' }],
  options: {
    token: { type: 'string', multiple: true, placeholder: 'WORD', description: 'the token, as text (needs the tokenizer: recorded by dlmk embed, or --corpus/--tokenizer)' },
    id: { type: 'integer', multiple: true, min: 0, placeholder: 'N', description: 'the token, as an id' },
    k: { type: 'integer', min: 1, max: 1024, description: 'neighbours (default 10, as the shipped kernels)' },
    bandwidth: { type: 'number', min: 1e-9, description: 'weights exp((cos - 1) / bandwidth) (default 0.3)' },
    corpus: { type: 'string', placeholder: 'SPEC', description: 'the corpus the tokenizer was built from (when the file does not record it)' },
    tokenizer: { type: 'string', placeholder: 'SPEC', description: 'the tokenizer (when the file does not record it)' },
    'cache-dir': { type: 'string', placeholder: 'DIR', description: 'token and vocabulary caches (default: as recorded, else .dlmk-cache)' },
  },
  examples: ['dlmk neighbours sotu-words.safetensors --token war --token peace', 'dlmk neighbours emb.npy --id 17 --k 5'],
} as const satisfies CommandDecl;

const neighbours: Command = {
  name: 'neighbours',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options } = parseCommand(decl, ctx.argv);
    const file = positionals[0]!;
    if (!options.token?.length && !options.id?.length) throw new UsageError('name a token with --token WORD or --id N');
    const { loadEmbeddings } = await import('../../runtime/data/embeddings.ts');
    const { nearestTokens } = await import('../../runtime/data/embed/index.ts');
    try {
      const e = loadEmbeddings(file);
      const meta = file.endsWith('.safetensors') ? metadataOf(file) : {};
      let tokenString: (id: number) => string = (id) => `#${id}`;
      let lookup: ((w: string) => number | undefined) | null = null;
      const corpusSpec = options.corpus ?? meta['dlmk.corpus'];
      const tokSpec = options.tokenizer ?? meta['dlmk.tokenizer'];
      if (tokSpec) {
        const { createCorpus, createTokenizer } = await import('../../runtime/data/index.ts');
        const { resolve } = await import('node:path');
        const pctx = { baseDir: process.cwd(), cacheDir: resolve(options['cache-dir'] ?? meta['dlmk.cacheDir'] ?? '.dlmk-cache'), log: () => {} };
        const corpus = await createCorpus(pluginArg('corpus', corpusSpec, 'sotu'), pctx);
        const tok = await createTokenizer(pluginArg('tokenizer', tokSpec, 'words'), pctx, corpus);
        if (tok.vocabSize !== e.V) throw new UsageError(`${file} has ${e.V} rows, but the tokenizer ${tok.id} has ${tok.vocabSize} tokens`, 1);
        tokenString = (id) => tok.tokenString(id);
        lookup = (w) => tok.lookup(w);
      }
      const ids: number[] = [...(options.id ?? [])];
      for (const w of options.token ?? []) {
        if (!lookup) throw new UsageError(`--token needs the tokenizer: ${file} does not record one; give --tokenizer (and --corpus for words), or use --id`, 1);
        const id = lookup(w);
        if (id === undefined) throw new UsageError(`'${w}' is not a token of the vocabulary (try a lower-case form, or --id)`, 1);
        ids.push(id);
      }
      const k = options.k ?? 10;
      const bandwidth = options.bandwidth ?? 0.3;
      for (const id of ids) {
        if (id >= e.V) throw new UsageError(`--id ${id}: the file has tokens 0 .. ${e.V - 1}`, 1);
        const ns = nearestTokens({ data: Float32Array.from(e.data), d: e.d, V: e.V }, id, { k, bandwidth });
        const w = Math.max(8, ...ns.map((n) => tokenString(n.id).length));
        ctx.stdout(
          [
            `${JSON.stringify(tokenString(id))} (id ${id}): ${ns.length} neighbours, bandwidth ${bandwidth}`,
            ...ns.map((n) => `  ${JSON.stringify(tokenString(n.id)).padEnd(w + 2)}  id ${String(n.id).padStart(6)}  cos ${n.cosine.toFixed(3)}  weight ${n.weight.toFixed(3)}`),
          ].join('\n'),
        );
      }
      return 0;
    } catch (err) {
      throw userError(err);
    }
  },
};

function metadataOf(file: string): Record<string, string> {
  const buf = readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as { __metadata__?: Record<string, string> };
  return header.__metadata__ ?? {};
}

export default neighbours;
