// The graph kernels learn (see learn.test.ts and learn.ts for what is asserted and the figures).
import { test } from 'uvu';
import { learnTests } from './learn.ts';

learnTests(['semdlm', 'semdlm_plus']);

test.run();
