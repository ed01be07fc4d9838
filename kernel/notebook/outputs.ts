/**
 * Turns a cell's IOPub messages into notebook outputs the way Jupyter clients do: streams of the same name
 * merge, `clear_output(wait=True)` is deferred to the next output, and a `display_id` lets later
 * `update_display_data` (or a new display with the same id) rewrite every output showing it, in any cell.
 */
import type { CodeCell, DisplayDataOutput, ExecuteResultOutput, NotebookMimeBundle, Output } from './nbformat.js';

/** The part of an IOPub message the collector reads. */
export interface IopubMessage {
  msg_type: string;
  content: Record<string, unknown>;
}

interface DisplayedOutput {
  cell: CodeCell;
  output: DisplayDataOutput | ExecuteResultOutput;
}

/** Applies IOPub messages to the outputs of the cell being executed; one collector serves a whole notebook. */
export class OutputCollector {
  private readonly displays = new Map<string, DisplayedOutput[]>();
  private clearBeforeNextOutput = false;
  private cell: CodeCell | null = null;

  /** Starts collecting into `cell`, dropping the outputs it held from an earlier run. */
  beginCell(cell: CodeCell): void {
    this.cell = cell;
    this.clearBeforeNextOutput = false;
    cell.outputs = [];
    cell.execution_count = null;
    this.forgetDisplays(cell);
  }

  /** Applies one IOPub message addressed to the current cell; messages that are not outputs are ignored. */
  handle(message: IopubMessage): void {
    const cell = this.cell;
    if (cell === null) return;
    const { msg_type: type, content } = message;
    const displayId = displayIdOf(content);
    if (typeof content.execution_count === 'number') cell.execution_count = content.execution_count;
    if (displayId !== undefined && (type === 'display_data' || type === 'execute_result' || type === 'update_display_data')) {
      this.updateDisplay(displayId, content);
    }
    switch (type) {
      case 'clear_output':
        if (content.wait === true) this.clearBeforeNextOutput = true;
        else this.clear(cell);
        return;
      case 'stream':
        this.append(cell, { output_type: 'stream', name: content.name === 'stderr' ? 'stderr' : 'stdout', text: String(content.text ?? '') });
        return;
      case 'display_data':
        this.append(cell, { output_type: 'display_data', data: bundleOf(content.data), metadata: recordOf(content.metadata) }, displayId);
        return;
      case 'execute_result':
        this.append(
          cell,
          {
            output_type: 'execute_result',
            execution_count: typeof content.execution_count === 'number' ? content.execution_count : null,
            data: bundleOf(content.data),
            metadata: recordOf(content.metadata),
          },
          displayId,
        );
        return;
      case 'error':
        this.append(cell, {
          output_type: 'error',
          ename: String(content.ename ?? ''),
          evalue: String(content.evalue ?? ''),
          traceback: Array.isArray(content.traceback) ? content.traceback.map(String) : [],
        });
        return;
      default:
        return;
    }
  }

  private append(cell: CodeCell, output: Output, displayId?: string): void {
    if (this.clearBeforeNextOutput) {
      this.clear(cell);
      this.clearBeforeNextOutput = false;
    }
    const last = cell.outputs.at(-1);
    if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
      last.text += output.text;
      return;
    }
    cell.outputs.push(output);
    if (displayId !== undefined && (output.output_type === 'display_data' || output.output_type === 'execute_result')) {
      const shown = this.displays.get(displayId) ?? [];
      shown.push({ cell, output });
      this.displays.set(displayId, shown);
    }
  }

  private updateDisplay(displayId: string, content: Record<string, unknown>): void {
    for (const { output } of this.displays.get(displayId) ?? []) {
      output.data = bundleOf(content.data);
      output.metadata = recordOf(content.metadata);
    }
  }

  private clear(cell: CodeCell): void {
    cell.outputs = [];
    this.forgetDisplays(cell);
  }

  private forgetDisplays(cell: CodeCell): void {
    for (const [displayId, shown] of this.displays) {
      const kept = shown.filter((entry) => entry.cell !== cell);
      if (kept.length === 0) this.displays.delete(displayId);
      else this.displays.set(displayId, kept);
    }
  }
}

function displayIdOf(content: Record<string, unknown>): string | undefined {
  const transient = content.transient;
  if (typeof transient !== 'object' || transient === null) return undefined;
  const displayId = (transient as Record<string, unknown>).display_id;
  return typeof displayId === 'string' && displayId !== '' ? displayId : undefined;
}

function bundleOf(value: unknown): NotebookMimeBundle {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as NotebookMimeBundle) } : {};
}

function recordOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
}
