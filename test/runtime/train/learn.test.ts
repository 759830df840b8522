// Every shipped kernel (and the AR twin) learns (masking, uniform and AR here; the graph kernels in
// learn-graph.test.ts): a small DiT trained for a few hundred steps on the
// toy corpus reaches a held-out NELBO (nats/token, with the prior term) below the entropy of the
// corpus's unigram law, the loss of a model that knows token frequencies and nothing else.
// Measured on this machine kind (lavapipe, seed 3, hidden 64, 250 steps of 16 x 32 tokens; V = 42,
// unigram entropy 3.316 nats): masking 2.22, uniform 2.83, semdlm 2.98, semdlm_plus 3.02, AR 1.07
// (3 minutes in all on the shared 2-core machine; semdlm pays for its many hops near t = 1).
import { test } from 'uvu';
import { learnTests } from './learn.ts';

learnTests(['masking', 'uniform', null]);

test.run();
