/**
 * The headless runner: executes a notebook through a kernel over the real wire, as nbclient does — a
 * connection file, the kernelspec's argv, kernel_info, cells in order, `raises-exception` and
 * `skip-execution` tags honoured, a per-cell timeout that interrupts, and a clean shutdown.
 */
import { dirname, resolve } from 'node:path';
import { JupyterClient, type RequestOutcome } from '../client/jupyter-client.js';
import type { KernelProcess, ResolvedKernelSpec } from './kernelspec.js';
import { repositoryKernelSpec, startKernel } from './kernelspec.js';
import { cellTags, type CodeCell, type Notebook } from './nbformat.js';
import { OutputCollector } from './outputs.js';
import { silentProgress, type ProgressReporter } from './progress.js';

/** How a run failed: the cell (if one was running), what went wrong and the kernel's traceback. */
export interface RunFailure {
  /** Index in `notebook.cells`, or null when the kernel failed outside a cell. */
  cellIndex: number | null;
  cellId: string | null;
  /** The cell's execution count (its `In [n]`), when the kernel got to number it. */
  executionCount: number | null;
  source: string;
  kind: 'error' | 'timeout' | 'kernel-died' | 'kernel-start';
  ename: string;
  evalue: string;
  traceback: string[];
}

/** The executed notebook, and the failure that stopped the run, if any. */
export interface RunResult {
  notebook: Notebook;
  failure: RunFailure | null;
  /** Code cells executed (skipped and empty cells excluded). */
  executedCells: number;
}

/** Options of `runNotebook`. */
export interface RunOptions {
  /** Kernel to start; the repository's own kernel by default. */
  kernel?: ResolvedKernelSpec;
  /** Working directory of the kernel; the notebook's directory by default (when `path` is given). */
  cwd?: string;
  /** The notebook's path, for progress lines and the default working directory. */
  path?: string;
  /** Seconds a cell may run before it is interrupted and the run fails; no limit when absent or <= 0. */
  timeoutSeconds?: number;
  /** Seconds to wait for the kernel to start and answer kernel_info. */
  startupTimeoutSeconds?: number;
  /** Keep executing after a failing cell, as nbclient's `allow_errors`. */
  allowErrors?: boolean;
  progress?: ProgressReporter;
  /** Called with the kernel process once it is spawned, for callers that supervise it. */
  onKernelStarted?: (kernelProcess: KernelProcess) => void;
}

const DEFAULT_STARTUP_SECONDS = 60;
/** How long a cell gets to stop after an interrupt before the kernel is considered hung. */
const INTERRUPT_GRACE_MS = 10_000;
const SHUTDOWN_GRACE_MS = 10_000;
const HEARTBEAT_PROBE_MS = 500;

/** Thrown inside a run when the kernel process ends while a reply is awaited. */
class KernelDiedError extends Error {
  override name = 'KernelDied';
}

/** Executes every code cell of a copy of `notebook` through a freshly started kernel, then shuts it down. */
export async function runNotebook(notebook: Notebook, options: RunOptions = {}): Promise<RunResult> {
  const executed: Notebook = structuredClone(notebook);
  const kernel = options.kernel ?? (await repositoryKernelSpec());
  const progress = options.progress ?? silentProgress;
  const label = options.path ?? 'notebook';
  const cwd = options.cwd ?? (options.path !== undefined ? dirname(resolve(options.path)) : process.cwd());
  for (const cell of executed.cells) {
    if (cell.cell_type === 'code') {
      cell.outputs = [];
      cell.execution_count = null;
    }
  }
  progress.notebookStarted(label, kernel.spec.display_name);
  const started = performance.now();
  let kernelProcess: KernelProcess | null = null;
  let client: JupyterClient | null = null;
  const result: RunResult = { notebook: executed, failure: null, executedCells: 0 };
  try {
    kernelProcess = await startKernel(kernel, cwd);
    options.onKernelStarted?.(kernelProcess);
    const startupMs = (options.startupTimeoutSeconds ?? DEFAULT_STARTUP_SECONDS) * 1000;
    await waitForHeartbeat(kernelProcess, startupMs);
    client = await untilExit(kernelProcess, JupyterClient.connect(kernelProcess.info, startupMs));
    const info = await untilExit(kernelProcess, client.request('shell', 'kernel_info_request', {}, startupMs));
    recordKernel(executed, kernel, info.reply.content);
    await executeCells(executed, client, kernelProcess, kernel, options, progress, result);
  } catch (error) {
    result.failure ??= kernelFailure(error, kernelProcess, client === null ? 'kernel-start' : 'kernel-died');
  } finally {
    if (kernelProcess !== null) await shutDown(kernelProcess, client);
  }
  progress.notebookFinished(label, result, performance.now() - started);
  return result;
}

async function executeCells(
  notebook: Notebook,
  client: JupyterClient,
  kernelProcess: KernelProcess,
  kernel: ResolvedKernelSpec,
  options: RunOptions,
  progress: ProgressReporter,
  result: RunResult,
): Promise<void> {
  const collector = new OutputCollector();
  const codeCells = notebook.cells.filter((cell): cell is CodeCell => cell.cell_type === 'code');
  const timeoutMs = options.timeoutSeconds !== undefined && options.timeoutSeconds > 0 ? options.timeoutSeconds * 1000 : Infinity;
  for (const [position, cell] of codeCells.entries()) {
    const cellIndex = notebook.cells.indexOf(cell);
    const tags = cellTags(cell);
    if (tags.includes('skip-execution') || cell.source.trim() === '') {
      progress.cellSkipped(position, codeCells.length, cell);
      continue;
    }
    const started = performance.now();
    collector.beginCell(cell);
    const request = client.send('shell', 'execute_request', {
      code: cell.source,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    });
    let outcome: RequestOutcome | null = null;
    let timedOut = false;
    let deathCause: unknown = `the kernel did not stop the cell within ${INTERRUPT_GRACE_MS / 1000} s of an interrupt`;
    try {
      outcome = await awaitOutcome(client, kernelProcess, request.msg_id, timeoutMs);
      if (outcome === null) {
        timedOut = true;
        await interrupt(client, kernelProcess, kernel);
        outcome = await awaitOutcome(client, kernelProcess, request.msg_id, INTERRUPT_GRACE_MS);
      }
    } catch (error) {
      deathCause = error;
    }
    if (outcome === null) {
      result.failure = { ...kernelFailure(deathCause, kernelProcess, 'kernel-died'), ...cellIdentity(notebook, cellIndex) };
      progress.cellFinished(position, codeCells.length, cell, timedOut ? 'timeout' : 'error', performance.now() - started);
      return;
    }
    for (const message of outcome.allIopub) collector.handle({ msg_type: message.header.msg_type, content: message.content });
    result.executedCells += 1;
    const reply = outcome.reply.content;
    const elapsed = performance.now() - started;
    if (timedOut) {
      result.failure = {
        ...cellIdentity(notebook, cellIndex),
        kind: 'timeout',
        ename: 'CellTimeoutError',
        evalue: `Cell execution timed out after ${options.timeoutSeconds} seconds; the kernel was interrupted`,
        traceback: Array.isArray(reply.traceback) ? reply.traceback.map(String) : [],
      };
      progress.cellFinished(position, codeCells.length, cell, 'timeout', elapsed);
      return;
    }
    if (reply.status === 'error') {
      const expected = tags.includes('raises-exception');
      progress.cellFinished(position, codeCells.length, cell, expected ? 'expected-error' : 'error', elapsed);
      if (expected || options.allowErrors === true) continue;
      result.failure = {
        ...cellIdentity(notebook, cellIndex),
        kind: 'error',
        ename: String(reply.ename ?? 'Error'),
        evalue: String(reply.evalue ?? ''),
        traceback: Array.isArray(reply.traceback) ? reply.traceback.map(String) : [],
      };
      return;
    }
    progress.cellFinished(position, codeCells.length, cell, 'ok', elapsed);
  }
}

function cellIdentity(notebook: Notebook, cellIndex: number): Pick<RunFailure, 'cellIndex' | 'cellId' | 'executionCount' | 'source'> {
  const cell = notebook.cells[cellIndex] as CodeCell;
  return { cellIndex, cellId: cell.id, executionCount: cell.execution_count, source: cell.source };
}

/** Records what nbclient records after kernel_info: the language_info, and the kernelspec that ran it. */
function recordKernel(notebook: Notebook, kernel: ResolvedKernelSpec, kernelInfo: Record<string, unknown>): void {
  const languageInfo = kernelInfo.language_info;
  if (typeof languageInfo === 'object' && languageInfo !== null && typeof (languageInfo as { name?: unknown }).name === 'string') {
    notebook.metadata.language_info = languageInfo as { name: string };
  }
  notebook.metadata.kernelspec = { name: kernel.name, display_name: kernel.spec.display_name, language: kernel.spec.language };
}

async function interrupt(client: JupyterClient, kernelProcess: KernelProcess, kernel: ResolvedKernelSpec): Promise<void> {
  if (kernel.spec.interrupt_mode === 'message') {
    await untilExit(kernelProcess, client.request('control', 'interrupt_request', {}, INTERRUPT_GRACE_MS)).catch(() => undefined);
  } else {
    kernelProcess.process.kill('SIGINT');
  }
}

/**
 * Waits until the kernel's heartbeat answers. A client is made only then: one abandoned half-way through
 * connecting (the kernel died while starting) would keep its sockets, and this process, alive.
 */
async function waitForHeartbeat(kernelProcess: KernelProcess, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await untilExit(kernelProcess, JupyterClient.ping(kernelProcess.info, HEARTBEAT_PROBE_MS));
      return;
    } catch (error) {
      if (error instanceof KernelDiedError) throw error;
      if (performance.now() > deadline) throw new Error(`the kernel's heartbeat did not answer within ${timeoutMs / 1000} s`);
    }
  }
}

/** Asks the kernel to shut down on control, then kills it if it has not exited within the grace period. */
async function shutDown(kernelProcess: KernelProcess, client: JupyterClient | null): Promise<void> {
  const stillRunning = kernelProcess.process.exitCode === null && kernelProcess.process.signalCode === null;
  if (stillRunning && client !== null) {
    await untilExit(kernelProcess, client.request('control', 'shutdown_request', { restart: false }, SHUTDOWN_GRACE_MS)).catch(() => undefined);
  }
  client?.close();
  const exited = await Promise.race([kernelProcess.exited.then(() => true), delay(SHUTDOWN_GRACE_MS).then(() => false)]);
  if (!exited) {
    kernelProcess.process.kill('SIGKILL');
    await kernelProcess.exited;
  }
  await kernelProcess.cleanUp();
}

/** The outcome of a request, or null when it has none within `timeoutMs`; KernelDiedError when the process ends first. */
async function awaitOutcome(client: JupyterClient, kernelProcess: KernelProcess, msgId: string, timeoutMs: number): Promise<RequestOutcome | null> {
  try {
    return await untilExit(kernelProcess, client.outcomeOf(msgId, timeoutMs));
  } catch (error) {
    if (error instanceof KernelDiedError) throw error;
    return null;
  }
}

/** Rejects with KernelDiedError as soon as the kernel process ends, whichever settles first. */
function untilExit<T>(kernelProcess: KernelProcess, promise: Promise<T>): Promise<T> {
  return Promise.race([
    promise,
    kernelProcess.exited.then((how) => {
      throw new KernelDiedError(`the kernel process ended (${how})`);
    }),
  ]);
}

function kernelFailure(cause: unknown, kernelProcess: KernelProcess | null, kind: 'kernel-start' | 'kernel-died'): RunFailure {
  const log = kernelProcess?.log().trim() ?? '';
  return {
    cellIndex: null,
    cellId: null,
    executionCount: null,
    source: '',
    kind,
    ename: kind === 'kernel-start' ? 'KernelStartError' : 'DeadKernelError',
    evalue: cause instanceof Error ? cause.message : String(cause),
    traceback: log === '' ? [] : ['Kernel output:', ...log.split('\n')],
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolveDelay) => setTimeout(resolveDelay, ms).unref());
}
