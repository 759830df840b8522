import { compare } from './index.ts';
const t0 = Date.now();
const r = await compare('/work/main/specs/examples/paper.json', { out: '/tmp/cmp1', sets: process.argv.slice(2), synthetic: null, log: (l) => console.log('   ', l), onPhase: (l) => console.log(((Date.now() - t0) / 1000).toFixed(0), l) });
console.log(r.files);
process.exit(0);
