#!/usr/bin/env node
// The `dlmk` executable: loads the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
