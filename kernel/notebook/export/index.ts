/** Writing a notebook out as HTML, Markdown (with its files) or .ipynb. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { serializeNotebook, type Notebook } from '../nbformat.js';
import { notebookToHtml } from './html.js';
import { notebookToMarkdown } from './markdown.js';

/** The formats `tsgrad run --to` accepts. */
export const EXPORT_FORMATS = ['ipynb', 'html', 'markdown'] as const;

/** One of EXPORT_FORMATS. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const EXTENSIONS: Record<ExportFormat, string> = { ipynb: '.ipynb', html: '.html', markdown: '.md' };

/** Writes `<outDir>/<baseName>.<ext>` (and, for Markdown, `<baseName>_files/`); resolves with the paths written. */
export async function exportNotebook(notebook: Notebook, format: ExportFormat, outDir: string, baseName: string): Promise<string[]> {
  const target = join(outDir, `${baseName}${EXTENSIONS[format]}`);
  await mkdir(outDir, { recursive: true });
  switch (format) {
    case 'ipynb':
      await writeFile(target, serializeNotebook(notebook), 'utf8');
      return [target];
    case 'html':
      await writeFile(target, notebookToHtml(notebook), 'utf8');
      return [target];
    case 'markdown': {
      const { markdown, files } = notebookToMarkdown(notebook, { filesDirectory: `${baseName}_files` });
      await rm(join(outDir, `${baseName}_files`), { recursive: true, force: true });
      const written = [target];
      for (const [relativePath, contents] of files) {
        const path = join(outDir, relativePath);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, contents);
        written.push(path);
      }
      await writeFile(target, markdown, 'utf8');
      return written;
    }
  }
}
