// Public face of the reference graph builders.
export { buildKnnGraph } from './knn.ts';
export { transposeGraph } from './transpose.ts';
export { graphHash } from './hash.ts';
