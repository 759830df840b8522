// The types every embedding source shares (docs/embeddings.md): what the trainer hands a source,
// and the [V, d] matrix with a report that a source hands back.

/** The training corpus as the data layer provides it. */
export interface CorpusTokens {
  /** Token ids of every document, back to back. */
  readonly tokens: Uint32Array;
  /** Document boundaries: document i is tokens[docOffsets[i] .. docOffsets[i + 1]); length docs + 1. */
  readonly docOffsets: Uint32Array;
  /** The data layer's fingerprint of the token file (kept in the cache manifest beside dlmk's own hash). */
  readonly fingerprint?: string;
  /** The token file: the corpus embeddings are cached beside it (FILE.embeddings.safetensors). */
  readonly file?: string;
}

/** What the trainer has when it needs the vectors of a knn graph. */
export interface EmbeddingRequest {
  /** The vocabulary size: the matrix has V rows. */
  readonly V: number;
  /** The training corpus (the `corpus` source needs it). */
  readonly corpus?: CorpusTokens;
  /** The text of a token id (the `glove` source needs it). */
  readonly tokenString?: (id: number) => string;
}

/** Where a matrix came from and how much of it is real. */
export interface EmbeddingReport {
  /** `corpus`, `checkpoint`, `glove`, `file`. */
  readonly source: string;
  /** Rows with a vector of their own (from the corpus, the model, GloVe or the file). */
  readonly semanticRows: number;
  /** Rows given the fallback rule (docs/embeddings.md): rare, unseen or uncovered tokens. */
  readonly fallbackRows: number;
  /** The last column is the fallback axis (0 on semantic rows): the corpus and glove sources. */
  readonly fallbackAxis: boolean;
  /** Read from the cache (corpus source). */
  readonly cached: boolean;
  /** Wall time of embed(), seconds. */
  readonly seconds: number;
  /** One line for the log. */
  readonly summary: string;
  /** glove: tokens whose string has a vector, and a few that had none. */
  readonly coverage?: { readonly covered: number; readonly total: number; readonly missingExamples: readonly string[] };
}

/** Token vectors: row v of `data` (row-major [V, d]) is token v's. */
export interface EmbeddingMatrix {
  readonly data: Float32Array;
  readonly d: number;
  readonly V: number;
  readonly report: EmbeddingReport;
}

/** What the trainer needs to provide for a source. */
export type EmbeddingNeed = 'corpus' | 'tokenString';

/**
 * An embedding source, as a plugin of kind 'embeddings' creates it (plugins.ts). The trainer checks
 * `needs` against what it has, then calls embed() once per run.
 */
export interface EmbeddingSource {
  /** The plugin's name. */
  readonly name: string;
  readonly needs: readonly EmbeddingNeed[];
  embed(request: EmbeddingRequest): Promise<EmbeddingMatrix>;
}
