import { beforeAll, describe, expect, it } from 'vitest';
import { repositoryKernelSpec, type KernelProcess, type ResolvedKernelSpec } from '../kernel/notebook/kernelspec.js';
import { newCodeCell, newMarkdownCell, newNotebook, serializeNotebook, type CodeCell, type Notebook } from '../kernel/notebook/nbformat.js';
import { formatFailure, type ProgressReporter } from '../kernel/notebook/progress.js';
import { runNotebook } from '../kernel/notebook/runner.js';
import { validateWithNbformat } from '../tools/notebooks/validate.js';
import { builtCli, fakeInterpreterModule } from './helpers/jupyter-client.js';

// The runner over real sockets against the kernel process, with the core's fake interpreter plugged in
// (each line of a cell is a command: `print x`, `result x`, `show id text`, `update id text`, `fail Name msg`, ...).
describe('runNotebook (kernel process, fake interpreter)', () => {
  let kernel: ResolvedKernelSpec;

  beforeAll(async () => {
    builtCli();
    const spec = await repositoryKernelSpec();
    kernel = { ...spec, spec: { ...spec.spec, env: { TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule() } } };
  });

  const notebookOf = (...sources: (string | { source: string; tags: string[] })[]): Notebook =>
    newNotebook(
      { name: 'tsgrad', display_name: 'TypeScript (tsgrad)' },
      [
        newMarkdownCell('# A test notebook'),
        ...sources.map((entry) =>
          typeof entry === 'string' ? newCodeCell(entry) : newCodeCell(entry.source, { metadata: { tags: entry.tags } }),
        ),
      ],
    );
  const codeCells = (notebook: Notebook) => notebook.cells.filter((cell): cell is CodeCell => cell.cell_type === 'code');

  it('executes cells in order and stores their outputs as nbformat 4.5', async () => {
    const events: string[] = [];
    const progress: ProgressReporter = {
      notebookStarted: (label) => events.push(`start ${label}`),
      cellSkipped: (position) => events.push(`skip ${position}`),
      cellFinished: (position, _total, _cell, status) => events.push(`cell ${position} ${status}`),
      notebookFinished: (label, result) => events.push(`done ${label} ${result.failure === null}`),
    };
    const source = notebookOf('print hello\neprint warn\nprint again\nresult 42', '', 'display text/html <b>bold</b>', {
      source: 'print skipped',
      tags: ['skip-execution'],
    });
    const { notebook, failure, executedCells } = await runNotebook(source, { kernel, path: 'test.ipynb', progress });
    expect(failure).toBeNull();
    expect(executedCells).toBe(2);
    expect(events).toEqual(['start test.ipynb', 'cell 0 ok', 'skip 1', 'cell 2 ok', 'skip 3', 'done test.ipynb true']);
    const [first, empty, display, skipped] = codeCells(notebook);
    expect(first!.execution_count).toBe(1);
    expect(first!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'hello\n' },
      { output_type: 'stream', name: 'stderr', text: 'warn\n' },
      { output_type: 'stream', name: 'stdout', text: 'again\n' },
      { output_type: 'execute_result', execution_count: 1, data: { 'text/plain': '42' }, metadata: {} },
    ]);
    expect(empty!.execution_count).toBeNull();
    expect(display!.outputs).toEqual([
      { output_type: 'display_data', data: { 'text/html': '<b>bold</b>', 'text/plain': '<b>bold</b>' }, metadata: {} },
    ]);
    expect(skipped!.outputs).toEqual([]);
    expect(notebook.metadata.language_info?.name).toBe('typescript');
    expect(notebook.metadata.kernelspec).toEqual({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)', language: 'typescript' });
    expect(source.cells[1]).toMatchObject({ outputs: [], execution_count: null });
    expect(validateWithNbformat(serializeNotebook(notebook))).toEqual({ valid: true, version: [4, 5] });
  });

  it('merges consecutive streams, applies update_display_data across cells and defers clear_output(wait)', async () => {
    const { notebook, failure } = await runNotebook(
      notebookOf('print a\nprint b', 'show progress 0%\nshow other x', 'update progress 100%', 'print gone\nwait\nprint kept', 'print gone\nclear'),
      { kernel },
    );
    expect(failure).toBeNull();
    const [streams, shown, updater, waited, cleared] = codeCells(notebook);
    expect(streams!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'a\nb\n' }]);
    expect(shown!.outputs.map((output) => output.output_type === 'display_data' && output.data['text/plain'])).toEqual(['100%', 'x']);
    expect(updater!.outputs).toEqual([]);
    expect(waited!.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'kept\n' }]);
    expect(cleared!.outputs).toEqual([]);
  });

  it('goes on past a cell tagged raises-exception, and stops at an untagged failure with a report', async () => {
    const { notebook, failure, executedCells } = await runNotebook(
      notebookOf({ source: 'fail ValueError expected', tags: ['raises-exception'] }, 'print before\nfail RuntimeError boom', 'print never'),
      { kernel, path: 'failing.ipynb' },
    );
    expect(executedCells).toBe(2);
    const [expected, failing, never] = codeCells(notebook);
    expect(expected!.outputs).toEqual([{ output_type: 'error', ename: 'ValueError', evalue: 'expected', traceback: ['ValueError: expected'] }]);
    expect(failing!.outputs.map((output) => output.output_type)).toEqual(['stream', 'error']);
    expect(never!.execution_count).toBeNull();
    expect(failure).toMatchObject({ cellIndex: 2, cellId: failing!.id, kind: 'error', ename: 'RuntimeError', evalue: 'boom' });
    const report = formatFailure('failing.ipynb', failure!);
    expect(report).toContain(`failing.ipynb: cell 3 (id ${failing!.id}, In [2]) failed (error): RuntimeError: boom`);
    expect(report).toContain('print before\nfail RuntimeError boom');
    expect(validateWithNbformat(serializeNotebook(notebook)).valid).toBe(true);
  });

  it('interrupts a cell that runs past the timeout and fails the run', async () => {
    const { notebook, failure } = await runNotebook(notebookOf('print started\nsleep 60000', 'print never'), { kernel, timeoutSeconds: 1 });
    expect(failure).toMatchObject({ kind: 'timeout', cellIndex: 1, ename: 'CellTimeoutError' });
    const [slow, never] = codeCells(notebook);
    expect(slow!.outputs).toEqual([
      { output_type: 'stream', name: 'stdout', text: 'started\n' },
      expect.objectContaining({ output_type: 'error', ename: 'KeyboardInterrupt' }),
    ]);
    expect(never!.execution_count).toBeNull();
  });

  it('reports a kernel that cannot start', async () => {
    const broken: ResolvedKernelSpec = { ...kernel, spec: { ...kernel.spec, argv: [process.execPath, '-e', 'process.exit(3)'] } };
    const { failure } = await runNotebook(notebookOf('print x'), { kernel: broken, startupTimeoutSeconds: 20 });
    expect(failure).toMatchObject({ kind: 'kernel-start', cellIndex: null, evalue: 'the kernel process ended (exit code 3)' });
  });

  it('reports a kernel that dies during a cell', async () => {
    let kernelProcess: KernelProcess | undefined;
    const run = runNotebook(notebookOf('print x', 'sleep 60000'), { kernel, onKernelStarted: (started) => (kernelProcess = started) });
    await waitUntil(() => kernelProcess !== undefined);
    // Let the first cell finish and the sleeping one start before killing the process.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    kernelProcess!.process.kill('SIGKILL');
    const { failure } = await run;
    expect(failure).toMatchObject({ kind: 'kernel-died', cellIndex: 2, ename: 'DeadKernelError', evalue: 'the kernel process ended (signal SIGKILL)' });
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
