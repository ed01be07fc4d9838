/**
 * The TypeScript compiler, loaded with require. An ES import of its 9 MB CommonJS file makes Node parse the
 * whole source twice more before running it (once to tell ES from CommonJS syntax, once to list the named
 * exports), about half a second of the worker's start. Modules here take their values from this one and
 * import TypeScript's types with `import type`, which leaves no import behind.
 */
import { createRequire } from 'node:module';
import type TypeScript from 'typescript';

const ts = createRequire(import.meta.url)('typescript') as typeof TypeScript;
export default ts;
