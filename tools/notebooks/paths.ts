/** Where the tutorial notebooks' sources and executed notebooks live, relative to the repository root. */
import { join } from 'node:path';

/** The Markdown sources of the notebooks (tools/notebooks/source-format.ts describes the format). */
export const SOURCES_DIRECTORY = join('tools', 'notebooks', 'sources');
/** The executed notebooks, written by `npm run notebooks`. */
export const NOTEBOOKS_DIRECTORY = 'notebooks';
