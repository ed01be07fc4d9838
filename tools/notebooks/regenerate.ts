/**
 * `npm run notebooks [-- NAME...]`: rebuilds notebooks/*.ipynb from tools/notebooks/sources/*.md, executing
 * each through this checkout's kernel and writing it back with its outputs. A notebook whose run fails is
 * not written (the committed one stays as it was) and the command exits non-zero.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeNotebook } from '../../kernel/notebook/nbformat.js';
import { terminalProgress } from '../../kernel/notebook/progress.js';
import { runNotebook } from '../../kernel/notebook/runner.js';
import { NOTEBOOKS_DIRECTORY, SOURCES_DIRECTORY } from './paths.js';
import { notebookFromSource } from './source-format.js';

/** Seconds any one tutorial cell may take. */
const CELL_TIMEOUT_SECONDS = 600;

const root = fileURLToPath(new URL('../../../', import.meta.url));
const wanted = new Set(process.argv.slice(2));
const sources = (await readdir(join(root, SOURCES_DIRECTORY)))
  .filter((name) => name.endsWith('.md') && (wanted.size === 0 || wanted.has(basename(name, '.md'))))
  .sort();
if (sources.length === 0) {
  process.stderr.write(`No notebook sources${wanted.size > 0 ? ` named ${[...wanted].join(', ')}` : ''} in ${SOURCES_DIRECTORY}\n`);
  process.exit(2);
}
const progress = terminalProgress();
const failed: string[] = [];
for (const name of sources) {
  const target = join(NOTEBOOKS_DIRECTORY, `${basename(name, '.md')}.ipynb`);
  const source = notebookFromSource(await readFile(join(root, SOURCES_DIRECTORY, name), 'utf8'));
  // The kernel runs where the notebook will live, so relative paths in cells mean the same in Jupyter.
  const { notebook, failure } = await runNotebook(source, {
    path: target,
    cwd: join(root, NOTEBOOKS_DIRECTORY),
    timeoutSeconds: CELL_TIMEOUT_SECONDS,
    progress,
  });
  if (failure === null) {
    await writeNotebook(join(root, target), notebook);
    process.stderr.write(`  wrote ${target}\n`);
  } else {
    failed.push(name);
  }
}
process.stderr.write(failed.length === 0 ? `${sources.length} notebooks regenerated\n` : `Not regenerated (a cell failed): ${failed.join(', ')}\n`);
// Exit outright: a kernel that died mid-run may leave sockets that would keep the process alive.
process.exit(failed.length === 0 ? 0 : 1);
