// ancestral against the exact oracle for every shipped kernel (test/runtime/sample/exact.ts).
import { exactTests } from './exact.ts';

exactTests('ancestral');
