/** Turns whatever a cell threw into Jupyter's error content, with stack frames pointing at cell lines. */
import type { SourceMap } from 'node:module';
import type { ErrorContent } from '../core/interpreter.js';
import { plainText } from '../display/index.js';
import { utf16ToCodePoint } from './positions.js';

/** What the traceback needs to know of a compiled cell. */
export interface CellSource {
  /** How frames name the cell, e.g. `cell 3`. */
  label: string;
  sourceMap: () => SourceMap;
  lines: string[];
  /** The script's last line, where the cell's wrapper is invoked: frames there are the kernel's doing. */
  invocationLine: number;
}

/** The name cells' errors carry when a run was interrupted. */
export const KEYBOARD_INTERRUPT = 'KeyboardInterrupt';

/** The error content of an interrupted cell. */
export function keyboardInterrupt(): ErrorContent {
  return { ename: KEYBOARD_INTERRUPT, evalue: '', traceback: [`${KEYBOARD_INTERRUPT}: the cell was interrupted (its variables are kept)`] };
}

const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/;

/**
 * Error content for a thrown value: the error's name and message, and its stack with cell frames mapped back
 * to the cell's lines and the kernel's own frames left out. A thrown non-Error is shown as Node shows it.
 */
export function describeError(thrown: unknown, cells: Map<string, CellSource>, isKernelFile: (file: string) => boolean): ErrorContent {
  if (thrown === null || typeof thrown !== 'object' || typeof (thrown as Error).message !== 'string') {
    const evalue = plainText(thrown);
    return { ename: 'Uncaught', evalue, traceback: [`Uncaught ${evalue}`] };
  }
  const error = thrown as Error;
  const ename = String(error.name || 'Error');
  const evalue = error.message;
  const frames: string[] = [];
  for (const line of String(error.stack ?? '').split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    const [, functionName, file, lineText, columnText] = match as unknown as [string, string | undefined, string, string, string];
    const cell = cells.get(file);
    if (cell) {
      if (Number(lineText) !== cell.invocationLine) frames.push(cellFrame(cell, functionName, Number(lineText), Number(columnText)));
    } else if (!file.startsWith('node:') && !isKernelFile(file)) {
      frames.push(line.trimEnd());
    }
  }
  return { ename, evalue, traceback: [`${ename}: ${evalue}`, ...frames] };
}

function cellFrame(cell: CellSource, functionName: string | undefined, line: number, column: number): string {
  const entry = cell.sourceMap().findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
  if (entry.originalLine === undefined || entry.originalColumn === undefined) return `    at ${functionName ?? '<cell>'} (${cell.label})`;
  const source = cell.lines[entry.originalLine] ?? '';
  const where = `${cell.label}, line ${entry.originalLine + 1}, column ${utf16ToCodePoint(source, entry.originalColumn) + 1}`;
  const header = functionName ? `    at ${functionName} (${where})` : `    at ${where}`;
  return source.trim() === '' ? header : `${header}\n        ${source.trim()}`;
}
