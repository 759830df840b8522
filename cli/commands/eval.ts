// dlmk eval RUN [--samples FILE] [--reference AR_RUN] [--json]: the evaluation protocol of
// docs/eval.md on one trained run: the test likelihood (quadrature and Monte Carlo with error bars),
// the three factors, and, given samples (dlmk sample --out), their quality and diversity
// (gen-PPL under an AR reference run, entropy, distinct-n, self-BLEU, repetition, the basin score).
import { readFileSync } from 'node:fs';
import type { Command, CommandContext } from '../command.ts';
import { UsageError } from '../command.ts';
import { parseCommand, type CommandDecl } from '../options.ts';
import { userError } from '../errors.ts';

const PARTS = ['likelihood', 'variance', 'posterior', 'repair'] as const;

const decl = {
  name: 'eval',
  summary: 'evaluate a trained run: test likelihood, the three factors, and sample quality',
  positionals: [{ name: 'RUN' }],
  options: {
    samples: { type: 'string', placeholder: 'FILE', description: 'samples to score (JSONL from dlmk sample --out)' },
    reference: { type: 'string', placeholder: 'AR_RUN', description: 'an autoregressive run trained on the same data: scores the samples (gen-PPL)' },
    'reference-onnx': { type: 'string', placeholder: 'FILE', description: 'or a causal LM exported to ONNX (needs onnxruntime-node): scores the samples' },
    'reference-tokenizer': { type: 'string', placeholder: 'SPEC', description: "the ONNX model's tokenizer (a plugin name or JSON, e.g. gpt2; default the run's): samples are re-encoded with it" },
    parts: { type: 'string', placeholder: 'LIST', description: `what to measure, comma-separated (default all): ${PARTS.join(', ')}; 'none' for samples only` },
    rows: { type: 'integer', min: 1, max: 1000000, description: 'held-out rows of the likelihood (default 32)' },
    split: { type: 'string', choices: ['test', 'validation'], description: 'held-out split (default test)' },
    json: { type: 'boolean', description: 'print the whole record as JSON' },
  },
  examples: ['dlmk eval runs/tiny', 'dlmk sample runs/tiny --n 32 --out s.jsonl && dlmk eval runs/tiny --samples s.jsonl --reference runs/ar --parts none'],
} as const satisfies CommandDecl;

function f(x: number | null | undefined, d = 4): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d);
}

const evalCmd: Command = {
  name: 'eval',
  summary: decl.summary,
  decl,
  async run(ctx: CommandContext): Promise<number> {
    const { positionals, options: o } = parseCommand(decl, ctx.argv);
    const parts = (o.parts ?? PARTS.join(',')).split(',').map((x) => x.trim()).filter(Boolean);
    for (const p of parts) if (p !== 'none' && !(PARTS as readonly string[]).includes(p)) throw new UsageError(`--parts: unknown part '${p}'; the parts are ${PARTS.join(', ')} (or none)`);
    if ((o.reference || o['reference-onnx']) && !o.samples) throw new UsageError('--reference and --reference-onnx score samples: give them with --samples FILE');
    if (o.reference && o['reference-onnx']) throw new UsageError('give one reference: --reference AR_RUN or --reference-onnx FILE');
    if (o['reference-tokenizer'] && !o['reference-onnx']) throw new UsageError('--reference-tokenizer goes with --reference-onnx');
    let samples: number[][] | null = null;
    if (o.samples) {
      let text: string;
      try {
        text = readFileSync(o.samples, 'utf8');
      } catch {
        throw new UsageError(`cannot read '${o.samples}'`, 1);
      }
      samples = text.split('\n').filter((l) => l.trim()).map((l, i) => {
        let doc: unknown;
        try {
          doc = JSON.parse(l);
        } catch {
          throw new UsageError(`${o.samples}:${i + 1}: not JSON`, 1);
        }
        const ids = (doc as { ids?: unknown }).ids;
        if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && x >= 0)) throw new UsageError(`${o.samples}:${i + 1}: no "ids" array of token ids (write samples with dlmk sample --out)`, 1);
        return ids as number[];
      });
      if (samples.length < 2) throw new UsageError(`${o.samples}: diversity needs at least 2 samples, found ${samples.length}`, 1);
    }
    const { evaluate } = await import('../../runtime/eval/evaluate.ts');
    const { loadRun, graphVectors } = await import('../../runtime/train/index.ts');
    const { sampleQuality } = await import('../../runtime/eval/quality.ts');
    const { buildKnnGraphGpu } = await import('../../runtime/kernel/index.ts');
    const { BASIN_GRAPH } = await import('../../runtime/compare/run.ts');
    try {
      const log = (l: string) => ctx.stderr(l);
      const run = await loadRun(positionals[0]!, { log });
      const want = (p: string) => parts.includes(p);
      const record = parts.includes('none')
        ? null
        : await evaluate(run, {
            ...(o.split ? { split: o.split as 'test' | 'validation' } : {}),
            likelihood: want('likelihood') ? { ...(o.rows ? { rows: o.rows } : {}) } : false,
            variance: want('variance') ? {} : false,
            posterior: want('posterior') ? {} : false,
            repair: want('repair') ? {} : false,
            log,
          });
      let quality = null;
      if (samples) {
        const V = run.data.tokenizer.vocabSize;
        for (const [i, s] of samples.entries()) if (s.some((x) => x > V)) throw new UsageError(`${o.samples}: sample ${i} has ids above ${V}: not samples of this run's tokenizer`, 1);
        const ref = o.reference ? await loadRun(o.reference, { log }) : null;
        if (ref && ref.model.cfg.arch !== 'ar') throw new UsageError(`--reference ${o.reference} is not an autoregressive run (model.arch is '${ref.model.cfg.arch}')`, 1);
        if (ref && ref.data.tokenizer.id !== run.data.tokenizer.id) throw new UsageError(`--reference ${o.reference} uses tokenizer ${ref.data.tokenizer.id}, the run ${run.data.tokenizer.id}`, 1);
        let scorer;
        if (o['reference-onnx']) {
          const { OnnxScorer, onnxReference } = await import('../../runtime/eval/onnx.ts');
          let to;
          if (o['reference-tokenizer']) {
            const { createCorpus, createTokenizer } = await import('../../runtime/data/index.ts');
            const { pluginArg } = await import('./embed.ts');
            const pctx = { baseDir: process.cwd(), cacheDir: '.dlmk-cache', log };
            to = await createTokenizer(pluginArg('reference-tokenizer', o['reference-tokenizer'], 'gpt2'), pctx, await createCorpus(run.spec.data.corpus as { name: string }, pctx));
          }
          scorer = onnxReference(await OnnxScorer.open(o['reference-onnx']), { from: run.data.tokenizer, ...(to ? { to } : {}) });
        }
        const v = await graphVectors(run.spec, run.baseDir, run.data, log);
        const graph = (await buildKnnGraphGpu(run.gpu, v.data, V, v.d, { k: BASIN_GRAPH.k, bandwidth: BASIN_GRAPH.bandwidth, symmetric: false, classes: null })).graph;
        quality = await sampleQuality(samples, { ...(ref ? { reference: ref.model } : {}), ...(scorer ? { scorer } : {}), eos: run.data.tokenizer.eos, graph });
      }
      if (o.json) {
        ctx.stdout(JSON.stringify({ evaluation: record, samples: quality }, null, 2));
        return 0;
      }
      const lines: string[] = [`${run.checkpoint.dir} (step ${run.checkpoint.manifest.step}, ${run.weights} weights)`];
      const l = record?.likelihood;
      if (l?.quadrature) lines.push(`test NELBO: ${f(l.quadrature.nats)} ± ${f(l.quadrature.se)} nats/token by quadrature, ${f(l.monteCarlo?.nats)} ± ${f(l.monteCarlo?.se)} by Monte Carlo (z = ${f(l.agreement?.z, 2)}); ${f(l.quadrature.bits, 3)} bits/token, perplexity <= ${f(l.quadrature.ppl, 2)} (${l.tokens} tokens)`);
      if (l?.exact) lines.push(`test NLL (AR): ${f(l.exact.nats)} ± ${f(l.exact.se)} nats/token, perplexity ${f(l.exact.ppl, 2)}`);
      for (const v of record?.factors.variance ?? []) lines.push(`variance at step ${v.step}: loss s.d. ${f(v.freshX0.loss.sd)} (x0 fixed: ${f(v.fixedX0?.loss.sd)}), gradient noise scale ${f(v.freshX0.gradient.bNoise, 2)} examples`);
      for (const p of record?.factors.posterior?.points ?? []) lines.push(`posterior at t = ${p.t.toFixed(2)}: entropy ${f(p.entropy, 3)} nats, loss ${f(p.loss, 3)} nats/token`);
      for (const r of record?.factors.repair?.repair ?? []) lines.push(`repair from t = ${r.t}: ${f(r.restored, 3)} of ${r.m} corrupted tokens restored, ${f(r.keptClean, 3)} of the clean ones kept`);
      if (quality) {
        lines.push(
          `samples (${quality.samples}): gen-PPL ${quality.genPpl === null ? '- (no --reference)' : f(quality.genPpl, 2)}${o['reference-onnx'] ? ' (ONNX)' : ''}, entropy ${f(quality.entropy, 3)}, ` +
            `distinct-1/2/3 ${f(quality.distinct1, 3)}/${f(quality.distinct2, 3)}/${f(quality.distinct3, 3)}, self-BLEU ${f(quality.selfBleu, 3)}, rep-4 ${f(quality.repetition, 3)}, basin ${f(quality.basin, 3)}, community entropy ${f(quality.communityEntropy, 3)}`,
        );
      }
      ctx.stdout(lines.join('\n'));
      return 0;
    } catch (err) {
      throw userError(err);
    }
  },
};

export default evalCmd;
