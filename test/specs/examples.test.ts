// Every example in specs/examples validates as `dlmk validate` / `dlmk train` / `dlmk compare`
// would read it: run specs against the composed run schema and the semantic checks (kernels
// compiled), experiments expanded into their runs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRunDoc } from '../../runtime/train/index.ts';
import { loadExperiment } from '../../runtime/compare/index.ts';

const dir = 'specs/examples';
const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

test('the examples are there', () => {
  for (const f of ['tiny.json', 'lm1b.json', 'owt.json', 'paper.json', 'paper-lm1b.json', 'paper-owt.json']) assert.ok(files.includes(f), f);
});

for (const f of files) {
  test(`${f} is valid`, () => {
    const doc = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { format: string };
    if (doc.format === 'dlmk.run/1') {
      const r = checkRunDoc(doc, join(dir, f));
      assert.ok(r.ok, r.ok ? '' : r.message);
    } else {
      assert.is(doc.format, 'dlmk.experiment/1');
      const plan = loadExperiment(join(dir, f));
      const kernels = plan.runs.filter((r) => r.role === 'kernel').map((r) => r.label);
      assert.equal(kernels, ['masking', 'uniform', 'semdlm', 'semdlm_plus']);
      assert.ok(plan.runs.some((r) => r.role === 'reference' && r.spec.model.arch === 'ar'));
      // Every kernel run shares the base's data, model size and budget.
      const same = new Set(plan.runs.filter((r) => r.role === 'kernel').map((r) => JSON.stringify([r.spec.data, r.spec.model, r.spec.budget, r.spec.optimizer])));
      assert.is(same.size, 1);
    }
  });
}

test.run();
