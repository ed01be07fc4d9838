/**
 * `tsgrad run` and `tsgrad export`: execute notebooks through the kernel and write them out as .ipynb, HTML
 * and Markdown. Exit code 0 when every notebook ran, 1 when a cell failed (outputs are still written, so
 * the failure can be read in them), 2 on a usage error.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { EXPORT_FORMATS, exportNotebook, type ExportFormat } from './export/index.js';
import { findKernelSpec, repositoryKernelSpec } from './kernelspec.js';
import { readNotebook } from './nbformat.js';
import { terminalProgress } from './progress.js';
import { runNotebook } from './runner.js';

/** The usage text of the notebook commands. */
export const NOTEBOOK_USAGE = `Usage:
  tsgrad run <notebook.ipynb | directory>... [--to ipynb,html,markdown] [--out DIR] [--timeout SECONDS]
                                            [--kernel NAME] [--allow-errors]
      executes the notebooks (every .ipynb of a directory) through the kernel, writes them to DIR (default: out)
      --to        formats to write, comma-separated or repeated (default: ipynb)
      --timeout   seconds a cell may run before it is interrupted and the run fails (default: no limit)
      --kernel    an installed kernelspec to run instead of this checkout's kernel.json
  tsgrad export <notebook.ipynb | directory>... [--to html,markdown,ipynb] [--out DIR]
      writes the notebooks as they are, without running them`;

class UsageError extends Error {
  override name = 'UsageError';
}

function parseFormats(values: string[] | undefined, fallback: ExportFormat[]): ExportFormat[] {
  if (values === undefined || values.length === 0) return fallback;
  const formats = values.flatMap((value) => value.split(',')).map((format) => (format === 'md' ? 'markdown' : format));
  for (const format of formats) {
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw new UsageError(`Unknown format ${JSON.stringify(format)}; expected one of ${EXPORT_FORMATS.join(', ')}`);
    }
  }
  return [...new Set(formats as ExportFormat[])];
}

/** The notebooks named on the command line, directories expanded to their .ipynb files in name order. */
async function notebookPaths(positionals: string[]): Promise<string[]> {
  if (positionals.length === 0) throw new UsageError('No notebook given');
  const paths: string[] = [];
  for (const positional of positionals) {
    const info = await stat(positional).catch(() => {
      throw new UsageError(`No such notebook or directory: ${positional}`);
    });
    if (info.isDirectory()) {
      const entries = (await readdir(positional)).filter((name) => extname(name) === '.ipynb').sort();
      if (entries.length === 0) throw new UsageError(`No notebooks (.ipynb) in ${positional}`);
      paths.push(...entries.map((name) => join(positional, name)));
    } else {
      paths.push(positional);
    }
  }
  return paths;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      to: { type: 'string', multiple: true },
      out: { type: 'string', default: 'out' },
      timeout: { type: 'string' },
      kernel: { type: 'string' },
      'allow-errors': { type: 'boolean', default: false },
    },
  });
  const formats = parseFormats(values.to, ['ipynb']);
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${values.timeout}`);
  const kernel = values.kernel === undefined ? await repositoryKernelSpec() : await findKernelSpec(values.kernel);
  const progress = terminalProgress();
  let failed = 0;
  const paths = await notebookPaths(positionals);
  for (const path of paths) {
    const { notebook, failure } = await runNotebook(await readNotebook(path), {
      kernel,
      path,
      timeoutSeconds,
      allowErrors: values['allow-errors'],
      progress,
    });
    if (failure !== null) failed += 1;
    for (const format of formats) {
      for (const written of await exportNotebook(notebook, format, values.out, basename(path, '.ipynb'))) {
        process.stderr.write(`  wrote ${written}\n`);
      }
    }
  }
  if (paths.length > 1) process.stderr.write(`${paths.length - failed} of ${paths.length} notebooks ran without errors\n`);
  return failed === 0 ? 0 : 1;
}

async function exportOnly(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { to: { type: 'string', multiple: true }, out: { type: 'string', default: 'out' } },
  });
  const formats = parseFormats(values.to, ['html']);
  for (const path of await notebookPaths(positionals)) {
    const notebook = await readNotebook(path);
    for (const format of formats) {
      for (const written of await exportNotebook(notebook, format, values.out, basename(path, '.ipynb'))) {
        process.stderr.write(`wrote ${written}\n`);
      }
    }
  }
  return 0;
}

/** Runs `tsgrad run ...` or `tsgrad export ...`; resolves with the process exit code. */
export async function notebookMain(command: 'run' | 'export', args: string[]): Promise<number> {
  try {
    return command === 'run' ? await run(args) : await exportOnly(args);
  } catch (error) {
    const usage = error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage ? `${NOTEBOOK_USAGE}\n` : ''}`);
    return usage ? 2 : 1;
  }
}
