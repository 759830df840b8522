// Registers dlmk's built-in plugins (corpora, tokenizers, embedding sources, metrics) in the
// global registry: each module registers its own on import. Imported for its effect by
// everything that resolves a run spec.
import '../data/plugins.ts';
import '../data/embed/plugins.ts';
import '../eval/metrics/plugins.ts';
import '../eval/synthetic/plugins.ts';
