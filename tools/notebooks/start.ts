/**
 * `npm start`: executes every notebook in notebooks/ through this checkout's kernel and writes each to out/
 * as an executed .ipynb, a standalone .html page and a .md document. Exits non-zero if a cell failed.
 */
import { fileURLToPath } from 'node:url';
import { notebookMain } from '../../kernel/notebook/main.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const code = await notebookMain('run', [`${root}notebooks`, '--out', `${root}out`, '--to', 'ipynb,html,markdown', '--timeout', '600']);
// Exit outright: a kernel that died mid-run may leave sockets that would keep the process alive.
process.exit(code);
