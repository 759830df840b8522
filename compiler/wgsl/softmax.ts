// The softmax statistics of one logit row, shared by the shaders that draw from p_hat = softmax(logits)
// one workgroup per position (the kernel's row-layout reverse step, the sampler's candidate and
// unmasking draws).

/**
 * WGSL statements: the statistics of the row `logits[ib + y]`, y < d.V, in one pass, online per lane
 * (the lane's max m and sum e of exp(x - m) over y = l, l + W, ...), then the workgroup's max into
 * the private `mx`; they end with `el` (the lane's share of Z = sum_y exp(x_y - mx)) stored in
 * sb[l], after a barrier, so that a Kahan sum of sb gives Z. Needs in scope: `W`, the workgroup
 * array `sb: array<f32, W>`, the private `mx: f32` and `ib: u32`, and the local index `l`.
 */
export function softmaxStatsWgsl(indent = '  '): string {
  return [
    'var m = -3.4028234663852886e38;',
    'var e = 0.0;',
    'for (var y = l; y < d.V; y = y + W) {',
    '  let x = logits[ib + y];',
    '  if (x > m) { e = e * exp(m - x) + 1.0; m = x; } else { e = e + exp(x - m); }',
    '}',
    'sb[l] = m;',
    'workgroupBarrier();',
    'mx = sb[0];',
    'for (var k = 1u; k < W; k = k + 1u) { mx = max(mx, sb[k]); }',
    'workgroupBarrier();',
    'let el = select(0.0, e * exp(m - mx), e > 0.0);',
    'sb[l] = el;',
    'workgroupBarrier();',
  ]
    .map((s) => indent + s)
    .join('\n');
}
