/**
 * What the runner tells the terminal: one line per notebook and per cell, and a failure report naming the
 * cell, its source and the kernel's traceback.
 */
import { stripAnsi } from './export/ansi.js';
import type { CodeCell } from './nbformat.js';
import type { RunFailure, RunResult } from './runner.js';

/** How a cell's execution ended, from the runner's point of view. */
export type CellStatus = 'ok' | 'error' | 'expected-error' | 'timeout';

/** Receives the runner's progress events. */
export interface ProgressReporter {
  notebookStarted(label: string, kernelName: string): void;
  cellSkipped(position: number, total: number, cell: CodeCell): void;
  cellFinished(position: number, total: number, cell: CodeCell, status: CellStatus, elapsedMs: number): void;
  notebookFinished(label: string, result: RunResult, elapsedMs: number): void;
}

/** A reporter that reports nothing. */
export const silentProgress: ProgressReporter = {
  notebookStarted: () => undefined,
  cellSkipped: () => undefined,
  cellFinished: () => undefined,
  notebookFinished: () => undefined,
};

interface Palette {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
}

function palette(colour: boolean): Palette {
  const wrap = (code: number) => (text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { red: wrap(31), green: wrap(32), yellow: wrap(33), dim: wrap(2) };
}

const PREVIEW_CHARS = 60;

/** The first line of a cell's source, shortened to fit a progress line. */
function preview(source: string): string {
  const firstLine = source.trim().split('\n')[0] ?? '';
  return firstLine.length > PREVIEW_CHARS ? `${firstLine.slice(0, PREVIEW_CHARS - 1)}…` : firstLine;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)}s`;
}

/** Formats a failed run for the terminal: which notebook and cell, the cell's source and the traceback. */
export function formatFailure(label: string, failure: RunFailure, colour = false): string {
  const paint = palette(colour);
  const count = failure.executionCount === null ? '' : `, In [${failure.executionCount}]`;
  const where = failure.cellIndex === null ? 'the kernel' : `cell ${failure.cellIndex + 1} (id ${failure.cellId}${count})`;
  const lines = [paint.red(`${label}: ${where} failed (${failure.kind}): ${failure.ename}: ${failure.evalue}`)];
  if (failure.source !== '') lines.push('------------------', failure.source, '------------------');
  const traceback = failure.traceback.map((line) => (colour ? line : stripAnsi(line)));
  if (traceback.length > 0) lines.push(...traceback);
  return `${lines.join('\n')}\n`;
}

/** A reporter writing one line per cell to a stream (stderr by default), coloured when it is a terminal. */
export function terminalProgress(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr): ProgressReporter {
  const colour = stream.isTTY === true && process.env.NO_COLOR === undefined;
  const paint = palette(colour);
  const counter = (position: number, total: number) => `[${String(position + 1).padStart(String(total).length)}/${total}]`;
  const statusText: Record<CellStatus, string> = {
    ok: paint.green('ok'),
    error: paint.red('error'),
    'expected-error': paint.yellow('error (raises-exception)'),
    timeout: paint.red('timeout'),
  };
  return {
    notebookStarted(label, kernelName) {
      stream.write(`${label}: running with ${kernelName}\n`);
    },
    cellSkipped(position, total, cell) {
      stream.write(`  ${counter(position, total)} ${paint.dim('skipped')} ${paint.dim(preview(cell.source))}\n`);
    },
    cellFinished(position, total, cell, status, elapsedMs) {
      stream.write(`  ${counter(position, total)} ${statusText[status]} ${paint.dim(seconds(elapsedMs))}  ${preview(cell.source)}\n`);
    },
    notebookFinished(label, result, elapsedMs) {
      if (result.failure === null) {
        stream.write(`${label}: ${paint.green('done')}, ${result.executedCells} cells in ${seconds(elapsedMs)}\n`);
      } else {
        stream.write(formatFailure(label, result.failure, colour));
      }
    },
  };
}
