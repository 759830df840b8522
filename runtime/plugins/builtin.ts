// Registers dlmk's built-in plugins (corpora, tokenizers, embedding sources, metrics) in the
// global registry. Imported for its effect by everything that resolves a run spec.
