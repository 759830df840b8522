// The graph content hash is a file-format definition, not a numeric quantity: one implementation,
// host-side in runtime/kernel/tables/graph.ts, serves the reference and the GPU path.
export { graphHash } from '../../runtime/kernel/tables/graph.ts';
