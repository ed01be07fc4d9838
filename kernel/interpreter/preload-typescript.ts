/**
 * Puts the TypeScript compiler into require's cache through the V8 code cache (code-cache.ts), so that
 * typescript.ts finds it there. The worker imports this module before any module that imports typescript.ts.
 */
import { requireWithCodeCache } from './code-cache.js';

/** The compiler's load, whose cache the worker writes after its first type check. */
export const typescriptLoad = requireWithCodeCache('typescript', import.meta.url);
