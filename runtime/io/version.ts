// The version recorded in checkpoint manifests: package.json's, read once.
import { readFileSync } from 'node:fs';

export const DLMK_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
