/**
 * A notebook as a Markdown document: Markdown cells as written, code fenced as ```ts, text outputs fenced,
 * HTML outputs embedded raw (Markdown allows it), SVG and images written beside the document as files.
 */
import type { Cell, CodeCell, Notebook, NotebookMimeBundle, Output } from '../nbformat.js';
import { stripAnsi } from './ansi.js';
import { IMAGE_EXTENSIONS, mimeText, pickMimeType } from './mime.js';

/** nbconvert's Markdown display priority. */
export const MARKDOWN_DISPLAY_PRIORITY = [
  'text/html',
  'text/markdown',
  'image/svg+xml',
  'text/latex',
  'image/png',
  'image/jpeg',
  'image/gif',
  'application/json',
  'text/plain',
] as const;

/** A Markdown document and the files it links to, by path relative to the document. */
export interface MarkdownExport {
  markdown: string;
  /** Relative path to contents: text for SVG, bytes for binary images. */
  files: Map<string, string | Buffer>;
}

/** Options of the Markdown exporter. */
export interface MarkdownExportOptions {
  /** Directory (relative to the document) for output files; `<name>_files` as nbconvert names it. */
  filesDirectory: string;
}

/** A fence of backticks longer than any run of backticks in the text, so the text cannot close it. */
export function fence(text: string, info = ''): string {
  const longestRun = Math.max(0, ...Array.from(text.matchAll(/`+/g), (match) => match[0].length));
  const marks = '`'.repeat(Math.max(3, longestRun + 1));
  return `${marks}${info}\n${text.endsWith('\n') ? text : `${text}\n`}${marks}`;
}

/** The Markdown document for a notebook, with the files its images live in. */
export function notebookToMarkdown(notebook: Notebook, options: MarkdownExportOptions): MarkdownExport {
  const files = new Map<string, string | Buffer>();
  const blocks = notebook.cells.flatMap((cell, cellIndex) => cellToMarkdown(cell, cellIndex, options.filesDirectory, files));
  return { markdown: `${blocks.join('\n\n')}\n`, files };
}

function cellToMarkdown(cell: Cell, cellIndex: number, filesDirectory: string, files: Map<string, string | Buffer>): string[] {
  switch (cell.cell_type) {
    case 'markdown':
    case 'raw':
      return cell.source.trim() === '' ? [] : [cell.source.trimEnd()];
    case 'code':
      return codeCellToMarkdown(cell, cellIndex, filesDirectory, files);
  }
}

function codeCellToMarkdown(cell: CodeCell, cellIndex: number, filesDirectory: string, files: Map<string, string | Buffer>): string[] {
  const blocks = [fence(cell.source, 'ts')];
  cell.outputs.forEach((output, outputIndex) => {
    const block = outputToMarkdown(output, (extension) => `${filesDirectory}/cell${cellIndex}_output${outputIndex}.${extension}`, files);
    if (block !== '') blocks.push(block);
  });
  return blocks;
}

function outputToMarkdown(output: Output, filePath: (extension: string) => string, files: Map<string, string | Buffer>): string {
  switch (output.output_type) {
    case 'stream':
      return fence(stripAnsi(output.text));
    case 'error':
      return fence(stripAnsi(output.traceback.length > 0 ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`));
    case 'display_data':
    case 'execute_result':
      return richToMarkdown(output.data, filePath, files);
  }
}

function richToMarkdown(bundle: NotebookMimeBundle, filePath: (extension: string) => string, files: Map<string, string | Buffer>): string {
  const mimeType = pickMimeType(bundle, MARKDOWN_DISPLAY_PRIORITY);
  if (mimeType === undefined) return '';
  const text = mimeText(bundle[mimeType]);
  const extension = IMAGE_EXTENSIONS[mimeType];
  if (extension !== undefined) {
    const path = filePath(extension);
    files.set(path, mimeType === 'image/svg+xml' ? text : Buffer.from(text, 'base64'));
    return `![output](${encodeURI(path)})`;
  }
  switch (mimeType) {
    case 'text/html':
      // A blank line would end the HTML block in CommonMark and turn the rest into Markdown.
      return text.trim().replace(/\n\s*\n/g, '\n');
    case 'text/markdown':
    case 'text/latex':
      return text.trim();
    default:
      return fence(stripAnsi(text));
  }
}
