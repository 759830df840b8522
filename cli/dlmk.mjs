#!/usr/bin/env node
// The `dlmk` executable. In the development checkout (cli/main.ts beside this file) it runs the
// TypeScript sources through tsx, so it can never run stale code; in the installed package (no
// sources shipped) it runs the bundled build, dist/bin/main.js (scripts/build.mjs).
// DLMK_CLI=build forces the build in a checkout (after `npm run build`), as bench/cli.ts does.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./main.ts', import.meta.url)) && process.env.DLMK_CLI !== 'build') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./main.ts');
} else {
  await import('../dist/bin/main.js');
}
