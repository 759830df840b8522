// The version recorded in checkpoint manifests: package.json's, read on first use (lazily, so a
// bundled program that never writes a checkpoint does not need package.json beside it).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function dlmkVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
