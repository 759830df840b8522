import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getGpu, storageBuffer, readU32, readF32, runDispatches } from '../../../runtime/gpu/index.ts';
import { PHILOX_WGSL, philox4x32_10, randOpen01 } from '../../../runtime/gpu/philox.ts';

// Known answers from Random123's kat_vectors for philox4x32_10.
const KAT: Array<[[number, number, number, number], [number, number], [number, number, number, number]]> = [
  [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
  [[0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]],
  [[0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0], [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]],
];

test('TypeScript Philox matches the Random123 known answers', () => {
  for (const [ctr, key, want] of KAT) assert.equal(philox4x32_10(ctr, key), want);
});

test('WGSL Philox matches TypeScript bit for bit, and rand_open01 too', async () => {
  const gpu = await getGpu();
  const n = 1000;
  const out = storageBuffer(gpu, n * 4 * 4);
  const uni = storageBuffer(gpu, n * 4);
  const code = `${PHILOX_WGSL}
    @group(0) @binding(0) var<storage, read_write> o: array<vec4<u32>>;
    @group(0) @binding(1) var<storage, read_write> u: array<f32>;
    @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
      let i = id.x;
      if (i >= ${n}u) { return; }
      var ctr = vec4<u32>(i, i * 7919u, 0xffffffffu - i, 12345u);
      var key = vec2<u32>(0xdeadbeefu, i * 31u);
      if (i < 3u) {
        let kc = array<vec4<u32>, 3>(vec4<u32>(0u), vec4<u32>(0xffffffffu), vec4<u32>(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u));
        let kk = array<vec2<u32>, 3>(vec2<u32>(0u), vec2<u32>(0xffffffffu), vec2<u32>(0xa4093822u, 0x299f31d0u));
        ctr = kc[i]; key = kk[i];
      }
      let r = philox4x32_10(ctr, key);
      o[i] = r;
      u[i] = rand_open01(r.x, r.y);
    }`;
  await runDispatches(gpu, [{ key: 'test/philox', code, bindings: [out, uni], workgroups: [Math.ceil(n / 64)] }]);
  const got = await readU32(gpu, out, n * 4);
  const u = await readF32(gpu, uni, n);
  for (let i = 0; i < n; i++) {
    let ctr: [number, number, number, number] = [i, (i * 7919) >>> 0, (0xffffffff - i) >>> 0, 12345];
    let key: [number, number] = [0xdeadbeef, (i * 31) >>> 0];
    if (i < 3) [ctr, key] = [KAT[i]![0], KAT[i]![1]];
    const want = philox4x32_10(ctr, key);
    assert.equal(Array.from(got.subarray(i * 4, i * 4 + 4)), want, `counter ${i}`);
    assert.is(u[i], randOpen01(want[0], want[1]), `uniform ${i}`);
    assert.ok(u[i]! > 0 && u[i]! < 1);
  }
});

test('rand_open01 resolves the tail near 0 to 2^-48', () => {
  assert.is(randOpen01(0, 0), 0.5 * 2 ** -48);
  assert.is(randOpen01(0, 0xffffffff), Math.fround((0xffffff + 0.5) * 2 ** -24) * 2 ** -24);
  assert.is(randOpen01(0xffffffff, 0xffffffff), 1 - 2 ** -24);
});

test.run();
