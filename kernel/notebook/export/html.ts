/**
 * A notebook as one standalone HTML page: Markdown cells rendered, code highlighted, outputs shown by
 * nbconvert's display priority, SVG inline and images as data URIs. Nothing is fetched when the page is
 * viewed: the stylesheet is in the page and no scripts, fonts or links to other sites are added.
 */
import { Marked, type Tokens } from 'marked';
import type { Cell, CodeCell, Notebook, NotebookMimeBundle, Output } from '../nbformat.js';
import { ansiToHtml } from './ansi.js';
import { highlightTypeScript } from './highlight.js';
import { escapeHtml } from './html-escape.js';
import { inlineSvg, mimeText, pickMimeType } from './mime.js';

/** nbconvert's HTML display priority, the order in which representations of an output are preferred. */
export const HTML_DISPLAY_PRIORITY = [
  'text/html',
  'image/svg+xml',
  'image/png',
  'image/jpeg',
  'image/gif',
  'text/markdown',
  'text/latex',
  'application/json',
  'text/plain',
] as const;

const TYPESCRIPT_LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'tsx', 'jsx']);

/** Options of the HTML exporter. */
export interface HtmlExportOptions {
  /** The page title; by default the first heading of the first Markdown cell, else 'Notebook'. */
  title?: string;
}

/** The whole page for a notebook. */
export function notebookToHtml(notebook: Notebook, options: HtmlExportOptions = {}): string {
  const title = options.title ?? firstHeading(notebook) ?? 'Notebook';
  const cells = notebook.cells.map((cell) => cellToHtml(cell)).filter((html) => html !== '');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLESHEET}</style>`,
    '</head>',
    '<body>',
    '<main class="notebook">',
    ...cells,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function firstHeading(notebook: Notebook): string | undefined {
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'markdown') continue;
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(cell.source);
    if (heading) return heading[1]!.replace(/[*_`]/g, '');
  }
  return undefined;
}

function cellToHtml(cell: Cell): string {
  switch (cell.cell_type) {
    case 'markdown':
      return `<section class="cell markdown-cell" id="cell-${escapeHtml(cell.id)}">\n${renderMarkdown(cell.source, cell.attachments)}</section>`;
    case 'code':
      return codeCellToHtml(cell);
    case 'raw': {
      // As nbconvert: raw cells reach the page only when marked as HTML.
      const format = cell.metadata.format ?? cell.metadata.raw_mimetype;
      return format === 'text/html' ? `<section class="cell raw-cell" id="cell-${escapeHtml(cell.id)}">${cell.source}</section>` : '';
    }
  }
}

const EMPTY_PROMPT = '<div class="prompt"></div>';

function prompt(label: 'In' | 'Out', count: number | null): string {
  return `<div class="prompt">${label}&nbsp;[${count === null ? '&nbsp;' : count}]:</div>`;
}

function codeCellToHtml(cell: CodeCell): string {
  const input = `<div class="input">${prompt('In', cell.execution_count)}<pre class="source"><code class="language-typescript">${highlightTypeScript(cell.source)}</code></pre></div>`;
  const outputs = cell.outputs.map((output) => outputToHtml(output)).join('\n');
  return [
    `<section class="cell code-cell" id="cell-${escapeHtml(cell.id)}">`,
    input,
    ...(outputs === '' ? [] : [`<div class="outputs">\n${outputs}\n</div>`]),
    '</section>',
  ].join('\n');
}

function outputToHtml(output: Output): string {
  switch (output.output_type) {
    case 'stream':
      return `<div class="output">${EMPTY_PROMPT}<pre class="stream ${output.name}">${ansiToHtml(output.text)}</pre></div>`;
    case 'error':
      return `<div class="output">${EMPTY_PROMPT}<pre class="error">${ansiToHtml(output.traceback.length > 0 ? output.traceback.join('\n') : `${output.ename}: ${output.evalue}`)}</pre></div>`;
    case 'display_data':
      return `<div class="output">${EMPTY_PROMPT}${richToHtml(output.data, output.metadata)}</div>`;
    case 'execute_result':
      return `<div class="output">${prompt('Out', output.execution_count)}${richToHtml(output.data, output.metadata)}</div>`;
  }
}

function richToHtml(bundle: NotebookMimeBundle, metadata: Record<string, unknown>): string {
  const mimeType = pickMimeType(bundle, HTML_DISPLAY_PRIORITY);
  if (mimeType === undefined) return '<div class="rich empty"></div>';
  const text = mimeText(bundle[mimeType]);
  switch (mimeType) {
    case 'text/html':
      return `<div class="rich html">${text}</div>`;
    case 'image/svg+xml':
      return `<div class="rich svg">${inlineSvg(text)}</div>`;
    case 'image/png':
    case 'image/jpeg':
    case 'image/gif': {
      const size = (metadata[mimeType] ?? {}) as { width?: unknown; height?: unknown };
      const dimension = (name: 'width' | 'height') => (typeof size[name] === 'number' ? ` ${name}="${size[name]}"` : '');
      return `<div class="rich image"><img alt="output" src="data:${mimeType};base64,${text.replace(/\s/g, '')}"${dimension('width')}${dimension('height')}></div>`;
    }
    case 'text/markdown':
      return `<div class="rich markdown">${renderMarkdown(text)}</div>`;
    default:
      return `<pre class="rich text">${ansiToHtml(text)}</pre>`;
  }
}

/** Markdown to HTML with GitHub's dialect, TypeScript code blocks highlighted and cell attachments inlined. */
export function renderMarkdown(source: string, attachments: Record<string, NotebookMimeBundle> = {}): string {
  const marked = new Marked({
    gfm: true,
    async: false,
    renderer: {
      code({ text, lang }: Tokens.Code): string {
        const language = (lang ?? '').trim().split(/\s+/)[0]!.toLowerCase();
        const body = TYPESCRIPT_LANGUAGES.has(language) ? highlightTypeScript(text) : escapeHtml(text);
        return `<pre class="source"><code${language === '' ? '' : ` class="language-${escapeHtml(language)}"`}>${body}</code></pre>\n`;
      },
    },
    walkTokens(token) {
      if (token.type !== 'image') return;
      const image = token as Tokens.Image;
      if (!image.href.startsWith('attachment:')) return;
      const bundle = attachments[decodeURIComponent(image.href.slice('attachment:'.length))];
      const mimeType = bundle === undefined ? undefined : Object.keys(bundle)[0];
      if (bundle !== undefined && mimeType !== undefined) image.href = `data:${mimeType};base64,${mimeText(bundle[mimeType]).replace(/\s/g, '')}`;
    },
  });
  return marked.parse(source) as string;
}

const STYLESHEET = `
:root { color-scheme: light; --fg: #1f2328; --muted: #6e7781; --border: #d0d7de; --code-bg: #f6f8fa; --accent: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--fg); font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main.notebook { max-width: 1000px; margin: 0 auto; padding: 24px 16px 64px; }
.cell { margin: 10px 0; }
.markdown-cell { padding: 0 0 0 96px; }
.markdown-cell h1, .markdown-cell h2, .markdown-cell h3 { line-height: 1.25; margin: 1.2em 0 0.5em; }
.markdown-cell h1 { font-size: 1.9em; border-bottom: 1px solid var(--border); padding-bottom: 0.2em; }
.markdown-cell h2 { font-size: 1.45em; }
.markdown-cell code, .rich.markdown code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; font-size: 0.9em; }
.markdown-cell pre code { background: none; padding: 0; }
.markdown-cell table { border-collapse: collapse; }
.markdown-cell th, .markdown-cell td { border: 1px solid var(--border); padding: 4px 10px; }
.markdown-cell a { color: var(--accent); }
pre, code { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
pre { margin: 0; white-space: pre-wrap; word-break: break-word; font-size: 13px; line-height: 1.45; }
.input, .output { display: flex; align-items: flex-start; }
.prompt { flex: 0 0 88px; margin-right: 8px; text-align: right; font: 12px/1.9 ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); white-space: nowrap; }
.input .prompt { color: #1f6feb; }
.output .prompt { color: #bc4c00; }
pre.source { flex: 1; min-width: 0; background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px; padding: 8px 10px; }
.outputs { margin-top: 4px; }
.output { margin: 2px 0; }
.output > pre, .output > .rich { flex: 1; min-width: 0; overflow-x: auto; padding: 4px 10px; }
pre.stream.stderr { background: #fff5f5; }
pre.error { background: #fff0f0; border-left: 3px solid #cf222e; }
.rich.svg svg { max-width: 100%; height: auto; }
.rich.html table { border-collapse: collapse; }
.tok-keyword { color: #cf222e; }
.tok-string { color: #0a3069; }
.tok-number { color: #0550ae; }
.tok-comment { color: #6e7781; font-style: italic; }
.tok-regexp { color: #116329; }
.tok-function { color: #8250df; }
.ansi-bold { font-weight: bold; }
.ansi-underline { text-decoration: underline; }
.ansi-black-fg { color: #3e424d; } .ansi-red-fg { color: #e75c58; } .ansi-green-fg { color: #00a250; } .ansi-yellow-fg { color: #ddb62b; }
.ansi-blue-fg { color: #208ffb; } .ansi-magenta-fg { color: #d160c4; } .ansi-cyan-fg { color: #60c6c8; } .ansi-white-fg { color: #c5c1b4; }
.ansi-intense-black-fg { color: #282c36; } .ansi-intense-red-fg { color: #b22b31; } .ansi-intense-green-fg { color: #007427; } .ansi-intense-yellow-fg { color: #b27d12; }
.ansi-intense-blue-fg { color: #0065ca; } .ansi-intense-magenta-fg { color: #a03196; } .ansi-intense-cyan-fg { color: #258f8f; } .ansi-intense-white-fg { color: #a1a6b2; }
.ansi-black-bg { background: #3e424d; } .ansi-red-bg { background: #e75c58; } .ansi-green-bg { background: #00a250; } .ansi-yellow-bg { background: #ddb62b; }
.ansi-blue-bg { background: #208ffb; } .ansi-magenta-bg { background: #d160c4; } .ansi-cyan-bg { background: #60c6c8; } .ansi-white-bg { background: #c5c1b4; }
.ansi-intense-black-bg { background: #282c36; } .ansi-intense-red-bg { background: #b22b31; } .ansi-intense-green-bg { background: #007427; } .ansi-intense-yellow-bg { background: #b27d12; }
.ansi-intense-blue-bg { background: #0065ca; } .ansi-intense-magenta-bg { background: #a03196; } .ansi-intense-cyan-bg { background: #258f8f; } .ansi-intense-white-bg { background: #a1a6b2; }
@media print { .prompt { flex-basis: 64px; } .markdown-cell { padding-left: 72px; } }
`;
