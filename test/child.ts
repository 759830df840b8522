// Runs one uvu test file in this process and reports its counts to test/run.ts on the last line.
// uvu's own CLI summary is not read by CI, so the parent sums these lines into `N passed, N failed`.
import { pathToFileURL } from 'node:url';

declare global {
  // eslint-disable-next-line no-var
  var UVU_DEFER: number | undefined;
  // eslint-disable-next-line no-var
  var UVU_QUEUE: Array<Array<unknown>>;
  // eslint-disable-next-line no-var
  var UVU_INDEX: number | undefined;
}

type Runner = () => Promise<[string | true, number, number, number]>;

const file = process.argv[2];
if (!file) {
  console.error('usage: child.ts FILE');
  process.exit(2);
}
globalThis.UVU_DEFER = 1;
globalThis.UVU_QUEUE = [[file]];
globalThis.UVU_INDEX = 0;

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  await import(pathToFileURL(file).href);
  for (const group of globalThis.UVU_QUEUE) {
    for (const run of group.slice(1) as Runner[]) {
      try {
        const [errors, ran, skips, total] = await run();
        passed += ran;
        failed += total - ran;
        skipped += skips;
        if (errors !== true) process.stdout.write('\n' + errors + '\n');
      } catch (err) {
        // A failing before/after hook rejects the whole suite.
        failed += 1;
        console.error(`\n  suite hook failed: ${(err as Error)?.stack ?? err}`);
      }
    }
  }
} catch (err) {
  failed += 1;
  console.error(`\n  could not load ${file}: ${(err as Error)?.stack ?? err}`);
}
process.stdout.write(`\n@@dlmk-result ${JSON.stringify({ passed, failed, skipped })}\n`);
// GPU handles keep the event loop alive; the counts are out, so leave now.
process.exit(0);
