/**
 * The text format the tutorial notebooks are written in (tools/notebooks/sources/*.md), in the spirit of
 * jupytext's Markdown notebooks: prose is Markdown, and every fenced block whose info string starts with
 * `ts` is a code cell. Attributes after `ts` set cell metadata: ```ts tags=["raises-exception"].
 * A line `<!-- split -->` ends one Markdown cell and starts the next.
 */
import { contentCellId, newCodeCell, newMarkdownCell, newNotebook, type Cell, type Notebook } from '../../kernel/notebook/nbformat.js';

/** Raised for a source file that cannot become a notebook, with its line number. */
export class NotebookSourceError extends Error {
  override name = 'NotebookSourceError';
}

const CODE_FENCE = /^(`{3,})ts(?:\s+(.*))?$/;
const SPLIT = '<!-- split -->';

function parseAttributes(text: string, line: number): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const match of text.matchAll(/(\w+)=(\[[^\]]*\]|"[^"]*"|\S+)/g)) {
    try {
      metadata[match[1]!] = JSON.parse(match[2]!);
    } catch {
      throw new NotebookSourceError(`line ${line}: attribute ${match[1]} must be JSON, got ${match[2]}`);
    }
  }
  return metadata;
}

/** The cells a source file describes, with ids derived from their content. */
export function parseNotebookSource(text: string): Cell[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const cells: Cell[] = [];
  const taken = new Set<string>();
  let prose: string[] = [];
  const flushProse = () => {
    const source = prose.join('\n').trim();
    if (source !== '') cells.push(newMarkdownCell(source, { id: contentCellId('markdown', source, taken) }));
    prose = [];
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    const opening = CODE_FENCE.exec(line);
    if (line.trim() === SPLIT) {
      flushProse();
    } else if (opening) {
      flushProse();
      const closing = lines.findIndex((candidate, at) => at > index && candidate.trim() === opening[1]);
      if (closing < 0) throw new NotebookSourceError(`line ${index + 1}: code fence is never closed`);
      const source = lines.slice(index + 1, closing).join('\n');
      cells.push(newCodeCell(source, { id: contentCellId('code', source, taken), metadata: parseAttributes(opening[2] ?? '', index + 1) }));
      index = closing;
    } else {
      prose.push(line);
    }
  }
  flushProse();
  return cells;
}

/** A notebook (not yet executed) for a source file, asking for the tsgrad kernel. */
export function notebookFromSource(text: string): Notebook {
  return newNotebook({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)', language: 'typescript' }, parseNotebookSource(text));
}
