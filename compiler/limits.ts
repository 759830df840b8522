// Resource bounds, in one place (docs/limits.md lists each, what enforces it and how to change it).
// A request beyond a bound is refused before anything is allocated, with the bound, what asked for
// it and how to change it; the CLI's flag declarations import these too.

/** The largest hop truncation H: `hops N`, `hops adaptive(cap = N)`, inspect's --H, the runtime's H. */
export const MAX_HOPS = 4096;

/** The largest vocabulary V (tokens, not counting [MASK]): kernel runtimes, references, --vocab, data files. */
export const MAX_VOCAB = 2 ** 24;

/** The most sampler steps (`sampler ancestral(steps = N)`, --steps). */
export const MAX_STEPS = 1_000_000;

/** The most non-zero entries of one graph (CSR): loaded graph files and built k-NN graphs (V * k). */
export const MAX_GRAPH_NNZ = 2 ** 27;

/** The most `param` declarations in one kernel. */
export const MAX_PARAMS = 100_000;

/** The largest .kernel source file, bytes. */
export const MAX_KERNEL_BYTES = 16 * 2 ** 20;

/** The largest JSON document dlmk reads (kernel specs, graphs, unigram and class files), bytes. */
export const MAX_JSON_BYTES = 512 * 2 ** 20;

/** The deepest nesting of a JSON document or of an expression in a spec (arrays/objects/expression nodes). */
export const MAX_NESTING = 512;

/** The largest .npy / .safetensors data file, bytes (Node's largest single buffer is 4 GiB). */
export const MAX_DATA_BYTES = 2 ** 32 - 1;

/** Text for a refusal: `what` asked for `value`, the bound is `max`, and how to change it. */
export function overLimit(what: string, value: number | string, max: number, how: string): string {
  return `${what} is ${value}, more than the limit ${max} (docs/limits.md); ${how}`;
}

/** The largest cumulative rate Lambda(1) of a schedule or channel: alpha_1 = exp(-Lambda(1)) is 0 in float64 from about 745 on, and larger values only overflow the rates and the ELBO weight. */
export const MAX_LAMBDA = 1e4;
