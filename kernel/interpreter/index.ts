/**
 * The interpreter as the kernel core sees it. Cells run in a worker thread (worker.ts) that keeps the
 * session's global scope; this side, on the main thread, forwards requests, routes the worker's output to
 * the current cell's sink, and interrupts: SIGINT while the worker runs cell code synchronously, a message
 * while the cell awaits, and as a last resort the inspector's terminateExecution when the worker is busy in
 * code that resumed after an await.
 */
import { readFileSync } from 'node:fs';
import inspector from 'node:inspector';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  CompleteResult, ExecuteOptions, ExecuteOutcome, ExecutionSink, InspectResult, Interpreter, IsCompleteResult, LanguageInfo,
} from '../core/interpreter.js';
import { keyboardInterrupt } from './errors.js';
import type { FromWorker, ToWorker, WorkerAnswers, WorkerRequest, WorkerSetup } from './protocol.js';

/** Options of an interpreter. */
export interface InterpreterOptions {
  /** Where cells resolve imports and relative paths first; the process's working directory by default. */
  cwd?: string;
}

/** How long an interrupted worker may take to notice before it counts as busy outside interruptible code. */
const INTERRUPT_GRACE_MS = 500;

/** How many answers to complete and inspect requests are kept: a frontend asks again and again while the cursor rests. */
const INTROSPECTION_CACHE_SIZE = 32;

/**
 * A small young generation keeps the worker's resident memory down; the compiler's garbage is short-lived anyway.
 * 3 MB (1 MB semi-spaces) against 8: 5-6 MB less after start.
 */
const YOUNG_GENERATION_MB = 3;

const here = path.dirname(fileURLToPath(import.meta.url));
const packageRoot = findPackageRoot(here);
const packageVersion = (JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
const typescriptVersion = (createRequire(import.meta.url)('typescript/package.json') as { version: string }).version;

/** Creates the interpreter of one kernel session; its worker starts (and warms the type checker) at once. */
export function createInterpreter(options: InterpreterOptions = {}): Interpreter {
  return new WorkerInterpreter(options.cwd ?? process.cwd());
}

const liveInterpreters = new Set<WorkerInterpreter>();
/**
 * Only the process's first worker writes the compiler's code cache: a later one runs under the V8 flags the first
 * set at run time (--optimize-for-size), and a cache made under them would be refused at the next start.
 */
let mayWriteCodeCache = true;
let sigintHandlerInstalled = false;

/** Runs TypeScript cells in a worker thread and answers for them on the main thread. */
class WorkerInterpreter implements Interpreter {
  readonly implementation = 'tsgrad';
  readonly implementationVersion = packageVersion;
  readonly languageInfo: LanguageInfo = {
    name: 'typescript',
    version: typescriptVersion,
    mimetype: 'text/typescript',
    file_extension: '.ts',
    codemirror_mode: 'typescript',
    pygments_lexer: 'typescript',
  };
  readonly banner = [
    `tsgrad ${packageVersion}: TypeScript ${typescriptVersion} cells over a PyTorch-like autograd runtime (Node ${process.version}).`,
    '`torch`, `display`, `clear_output` and `input` are in scope; top-level await and imports of Node built-ins and npm packages work.',
    'A cell with type errors does not run; a first line `// @ts-nocheck` runs it anyway.',
    'Arithmetic operators work on tensors as in PyTorch (`z = x * w + b`, `x -= lr * g`); comparisons do not: use `x.lt(y)`, `x.gt(y)`, `x.eq(y)`.',
  ].join('\n');
  readonly helpLinks = [
    { text: 'TypeScript handbook', url: 'https://www.typescriptlang.org/docs/handbook/intro.html' },
    { text: 'PyTorch autograd', url: 'https://pytorch.org/docs/stable/autograd.html' },
  ];

  private worker: Worker | undefined;
  private readonly runningFlag = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  private readonly pending = new Map<number, { resolve: (answer: never) => void; fallback: () => unknown }>();
  private nextRequestId = 0;
  /** Late output (timers) goes to the sink of the last cell. */
  private sink: ExecutionSink | undefined;
  private executing: { id: number; allowStdin: boolean } | undefined;
  private interruptNoticed = false;
  /** Whether the worker ended because its JavaScript heap was exhausted. */
  private workerOutOfMemory = false;
  /**
   * Answers to complete and inspect by request: they depend only on the request and the cells run so far (the
   * checker reads files on disk once per session), so a cell run or a new worker forgets them.
   */
  private readonly introspections = new Map<string, Promise<CompleteResult | InspectResult>>();

  constructor(private readonly cwd: string) {
    liveInterpreters.add(this);
    installSigintHandler();
    this.startWorker();
  }

  execute(code: string, sink: ExecutionSink, options: ExecuteOptions): Promise<ExecuteOutcome> {
    this.sink = sink;
    this.introspections.clear();
    const id = ++this.nextRequestId;
    this.executing = { id, allowStdin: options.allowStdin };
    const outcome = this.request({
      kind: 'execute', id, code, silent: options.silent, storeHistory: options.storeHistory,
      allowStdin: options.allowStdin, userExpressions: options.userExpressions,
    }, () => this.workerLostOutcome());
    return outcome.finally(() => {
      if (this.executing?.id === id) this.executing = undefined;
      // Answers given while the cell ran may predate what it declared.
      this.introspections.clear();
    });
  }

  complete(code: string, cursorPos: number): Promise<CompleteResult> {
    return this.introspect(`complete ${cursorPos} ${code}`, () => this.request({ kind: 'complete', id: ++this.nextRequestId, code, cursor: cursorPos },
      () => ({ matches: [], cursor_start: cursorPos, cursor_end: cursorPos, metadata: {} })));
  }

  inspect(code: string, cursorPos: number, detailLevel: number): Promise<InspectResult> {
    return this.introspect(`inspect ${cursorPos} ${detailLevel} ${code}`, () => this.request({ kind: 'inspect', id: ++this.nextRequestId, code, cursor: cursorPos, detail: detailLevel },
      () => ({ found: false, data: {}, metadata: {} })));
  }

  async isComplete(code: string): Promise<IsCompleteResult> {
    return this.request({ kind: 'isComplete', id: ++this.nextRequestId, code }, () => ({ status: 'unknown' }));
  }

  interrupt(): void {
    if (!this.executing || !this.worker) return;
    this.interruptWorker(true);
  }

  /** A SIGINT reached the process (Jupyter's signal interrupt mode, or our own while nothing ran synchronously). */
  interruptFromSignal(): void {
    if (this.executing && this.worker && Atomics.load(this.flag(), 0) === 0) this.interruptWorker(false);
  }

  async shutdown(restart: boolean): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.introspections.clear();
    this.settleAll();
    await worker?.terminate();
    if (restart) this.startWorker();
    else liveInterpreters.delete(this);
  }

  private interruptWorker(signalIfRunning: boolean): void {
    const executing = this.executing!;
    const worker = this.worker!;
    this.interruptNoticed = false;
    this.post({ kind: 'interrupt' });
    if (signalIfRunning && Atomics.load(this.flag(), 0) === 1) process.kill(process.pid, 'SIGINT');
    setTimeout(() => {
      if (this.executing !== executing || this.worker !== worker || this.interruptNoticed) return;
      if (Atomics.load(this.flag(), 0) === 1) {
        this.interruptWorker(true);
        return;
      }
      void terminateCurrentExecution(worker).then(() => this.settle(executing.id, { status: 'error', ...keyboardInterrupt() }));
    }, INTERRUPT_GRACE_MS).unref();
  }

  /** The cached answer to a complete or inspect request, else the worker's, kept unless the worker could not give it. */
  private introspect<Answer extends CompleteResult | InspectResult>(key: string, ask: () => Promise<Answer>): Promise<Answer> {
    const cached = this.introspections.get(key);
    if (cached) {
      // Most recently used last: the oldest entry is the first to go.
      this.introspections.delete(key);
      this.introspections.set(key, cached);
      return cached as Promise<Answer>;
    }
    const answer = ask();
    const worker = this.worker;
    this.introspections.set(key, answer);
    if (this.introspections.size > INTROSPECTION_CACHE_SIZE) this.introspections.delete(this.introspections.keys().next().value!);
    // A fallback (the worker stopped meanwhile) is not the answer: the next request asks again.
    void answer.then(() => { if (this.worker !== worker) this.introspections.delete(key); });
    return answer;
  }

  private request<K extends WorkerRequest['kind']>(message: Extract<WorkerRequest, { kind: K }>, fallback: () => WorkerAnswers[K]): Promise<WorkerAnswers[K]> {
    if (!this.worker) this.startWorker();
    return new Promise((resolve) => {
      this.pending.set(message.id, { resolve: resolve as (answer: never) => void, fallback });
      // A pending request keeps the process alive; an idle worker does not.
      this.worker?.ref();
      this.post(message);
    });
  }

  private settle(id: number, answer: unknown): void {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker?.unref();
    pending?.resolve(answer as never);
  }

  private settleAll(): void {
    for (const [id, pending] of this.pending) this.settle(id, pending.fallback());
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private flag(): Int32Array {
    return new Int32Array(this.runningFlag);
  }

  /** The outcome of a cell whose worker ended under it; running out of heap is said as Python says it. */
  private workerLostOutcome(): ExecuteOutcome {
    return this.workerOutOfMemory
      ? { status: 'error', ename: 'MemoryError', evalue: 'the cell ran out of JavaScript heap memory; the interpreter starts afresh and every variable is lost', traceback: [] }
      : { status: 'error', ename: 'WorkerExit', evalue: 'the interpreter stopped; its state is lost', traceback: [] };
  }

  private startWorker(): void {
    this.workerOutOfMemory = false;
    const setup: WorkerSetup = { runningFlag: this.runningFlag, cwd: this.cwd, writeCodeCache: mayWriteCodeCache };
    mayWriteCodeCache = false;
    const worker = new Worker(workerEntry(), { workerData: setup, stdout: false, stderr: false, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } });
    this.worker = worker;
    worker.on('message', (message: FromWorker) => this.onMessage(message));
    worker.on('error', (error) => {
      this.workerOutOfMemory = (error as { code?: unknown }).code === 'ERR_WORKER_OUT_OF_MEMORY';
      if (!this.workerOutOfMemory) this.sink?.stream('stderr', `tsgrad: the interpreter failed: ${error.stack ?? String(error)}\n`);
    });
    worker.on('exit', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.introspections.clear();
      this.settleAll();
    });
    worker.unref();
  }

  private onMessage(message: FromWorker): void {
    switch (message.kind) {
      case 'reply': return this.settle(message.id, message.answer);
      case 'interruptReceived': this.interruptNoticed = true; return;
      case 'stream': return this.sink?.stream(message.name, message.text);
      case 'display': return this.sink?.display(message.bundle, message.metadata, message.transient, message.update);
      case 'clearOutput': return this.sink?.clearOutput(message.wait);
      case 'input': return this.answerInput(message.id, message.prompt, message.password);
    }
  }

  private answerInput(id: number, prompt: string, password: boolean): void {
    const refuse = (reason: string) => this.post({
      kind: 'inputReply', id, error: { ename: 'StdinNotImplementedError', evalue: reason, traceback: [] },
    });
    if (!this.executing?.allowStdin || !this.sink) {
      refuse('input() was called, but this frontend does not support input requests.');
      return;
    }
    this.sink.input(prompt, password).then(
      (value) => this.post({ kind: 'inputReply', id, value }),
      (error: unknown) => refuse(error instanceof Error ? error.message : String(error)),
    );
  }
}

/** The worker script: next to this module when compiled; the build's copy when this module runs from source (tests). */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./worker.js', import.meta.url);
  return new URL(`file://${path.join(packageRoot, 'dist', 'kernel', 'interpreter', 'worker.js')}`);
}

function findPackageRoot(start: string): string {
  for (let directory = start; ; directory = path.dirname(directory)) {
    try {
      if ((JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as { name?: string }).name === 'tsgrad') return directory;
    } catch {
      // no package.json here; keep climbing
    }
    if (path.dirname(directory) === directory) throw new Error(`tsgrad: no package.json above ${start}`);
  }
}

/** Keeps SIGINT from killing the kernel, and treats one from outside as an interrupt request. */
function installSigintHandler(): void {
  if (sigintHandlerInstalled) return;
  sigintHandlerInstalled = true;
  process.on('SIGINT', () => { for (const interpreter of liveInterpreters) interpreter.interruptFromSignal(); });
}

/**
 * Stops whatever JavaScript the worker is running through the inspector protocol. Only for a worker busy
 * outside a SIGINT-breakable run (code that resumed after an await); the worker and its globals survive.
 */
async function terminateCurrentExecution(worker: Worker): Promise<void> {
  const session = new inspector.Session();
  session.connect();
  try {
    const sessionId = await new Promise<string>((resolve) => {
      session.on('NodeWorker.attachedToWorker', (event: { params: { sessionId: string; workerInfo: { title: string } } }) => {
        // The inspector numbers workers itself (its workerId matched the thread id only for the process's first worker);
        // the title names the thread: `[worker <threadId>]`.
        if (/^\[worker (\d+)\]/.exec(event.params.workerInfo.title)?.[1] === String(worker.threadId)) resolve(event.params.sessionId);
      });
      session.post('NodeWorker.enable', { waitForDebuggerOnStart: false });
    });
    await new Promise<void>((resolve) => {
      session.on('NodeWorker.receivedMessageFromWorker', () => resolve());
      session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.terminateExecution' }) });
    });
  } finally {
    session.disconnect();
  }
}
