/**
 * The interpreter's worker thread: it owns the persistent global scope where cells run, the TypeScript
 * compiler and the LanguageService. The main thread keeps serving sockets while a cell runs here.
 */
// First: the modules below load TypeScript, which this one has already taken from the code cache.
import { typescriptLoad } from './preload-typescript.js';
import { Console } from 'node:console';
import { existsSync } from 'node:fs';
import { isBuiltin, SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { CompleteResult, ErrorContent, ExecuteOutcome, ExpressionResult, InspectResult } from '../core/interpreter.js';
import { createDisplayFunctions, isDisplayHandle, toMimeBundle } from '../display/index.js';
import { describeError, keyboardInterrupt, KEYBOARD_INTERRUPT, type CellSource } from './errors.js';
import { judgeCompleteness } from './is-complete.js';
import type { FromWorker, ToWorker, WorkerRequest, WorkerSetup } from './protocol.js';
import { CELL_RUNTIME_GLOBAL, compileCell } from './transform.js';
import { CellChecker } from './typecheck.js';
import { createCellOperators, operatorDeclarations } from './operators.js';

const port = parentPort!;
const setup = workerData as WorkerSetup;
const runningFlag = new Int32Array(setup.runningFlag);
const post = (message: FromWorker): void => port.postMessage(message);

const here = path.dirname(fileURLToPath(import.meta.url));
const kernelRoot = path.resolve(here, '..');
/** Where src/ and kernel/ sit: dist/ when compiled. */
const buildRoot = path.resolve(kernelRoot, '..');
const packageRoot = path.basename(buildRoot) === 'dist' ? path.dirname(buildRoot) : buildRoot;
const runtimeModule = path.join(buildRoot, 'src', 'index.js');
const displayModule = path.resolve(kernelRoot, 'display', 'index.js');

/** Marks errors raised by an interrupt, so that they report as KeyboardInterrupt. */
class KeyboardInterrupt extends Error {
  override name = KEYBOARD_INTERRUPT;
}

/** Raised by `input()` when the client cannot answer, with IPython's name for it. */
class StdinNotImplementedError extends Error {
  override name = 'StdinNotImplementedError';
}

captureOutput();
silenceLoaderWarning();

const displays = createDisplayFunctions({
  display: (bundle, metadata, transient, update) => post({ kind: 'display', bundle, metadata, transient, update }),
  clearOutput: (wait) => post({ kind: 'clearOutput', wait }),
});

/** The cell being executed (or awaited), which an interrupt stops. */
let current: { interrupt: () => void } | undefined;
let interruptSignal = newInterruptSignal();
let storedCells = 0;
let compiledCells = 0;
const cells = new Map<string, CellSource>();
const pendingInputs = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
let nextInputId = 0;

defineGlobal('display', displays.display);
defineGlobal('clear_output', displays.clear_output);
defineGlobal('input', input);
const cellRuntime = { import: importForCell, interruptible: (value: unknown) => Promise.race([value, interruptSignal.promise]) };
defineGlobal(CELL_RUNTIME_GLOBAL, cellRuntime);

const runtime = existsSync(runtimeModule) ? await import(runtimeModule).catch((error: unknown) => {
  process.stderr.write(`tsgrad: the torch runtime failed to load: ${String(error)}\n`);
  return undefined;
}) : undefined;
const torch = runtime?.torch ?? runtime?.default;
if (torch !== undefined) defineGlobal('torch', torch);
// Live views (torch.viz.live) then update their display in place without a `publish` option.
torch?.viz?.setDisplayPublisher?.(displays.display);
if (runtime?.binaryOperator) Object.assign(cellRuntime, createCellOperators(runtime));

const checker = new CellChecker({ cwd: setup.cwd, packageRoot, globalsDeclaration: globalsDeclaration(torch !== undefined) });
const warmUpCell = 'const warm: number[] = [1].map((value) => value + 1);\ndisplay(warm);\nconsole.log(typeof torch);';
checker.diagnostics(warmUpCell);
// Compiled too, so that the code cache also holds the emitter's functions, which the first cell would compile.
compileCell(warmUpCell, checker.rewrites(warmUpCell));
// Now, with the functions the check and the compile compiled, and before the flag below, which V8 would find changed at the next start.
if (setup.writeCodeCache) typescriptLoad.saveCache();
// Set after the warm-up, which it would slow: V8 reads it when sizing the heap, and keeps the heap small across cells.
v8.setFlagsFromString('--optimize-for-size');

port.on('message', (message: ToWorker) => {
  switch (message.kind) {
    case 'interrupt':
      post({ kind: 'interruptReceived' });
      current?.interrupt();
      return;
    case 'inputReply': {
      const pending = pendingInputs.get(message.id);
      pendingInputs.delete(message.id);
      if (message.error) pending?.reject(Object.assign(new StdinNotImplementedError(message.error.evalue), { name: message.error.ename }));
      else pending?.resolve(message.value ?? '');
      return;
    }
    default:
      void answer(message).then((answer) => post({ kind: 'reply', id: message.id, answer }));
  }
});

async function answer(request: WorkerRequest): Promise<ExecuteOutcome | CompleteResult | InspectResult | ReturnType<typeof judgeCompleteness>> {
  switch (request.kind) {
    case 'execute': return execute(request);
    case 'complete': return complete(request.code, request.cursor);
    case 'inspect': return inspectAt(request.code, request.cursor);
    case 'isComplete': return judgeCompleteness(request.code);
  }
}

async function execute(request: Extract<WorkerRequest, { kind: 'execute' }>): Promise<ExecuteOutcome> {
  const label = request.storeHistory ? `cell ${++storedCells}` : 'unstored cell';
  if (!/^(?:\s*\/\/.*\n)*?\s*\/\/\s*@ts-nocheck\b/.test(request.code)) {
    const problems = checker.diagnostics(request.code);
    if (problems.length > 0) {
      const lines = problems.map((problem) => `Line ${problem.line}, Column ${problem.column}: ${problem.message}`);
      return {
        status: 'error',
        ename: 'TSError',
        evalue: lines.join('\n'),
        traceback: [`TSError: the cell did not run (a first line \`// @ts-nocheck\` runs it anyway)`, ...lines],
      };
    }
  }
  const fileName = `tsgrad-cell-${++compiledCells}`;
  const compiled = compileCell(request.code, checker.rewrites(request.code));
  if (compiled.diagnostics.length > 0) return { status: 'error', ...syntaxError(request.code, compiled.diagnostics[0]!) };
  cells.set(fileName, {
    label, sourceMap: () => new SourceMap(JSON.parse(compiled.sourceMap)), lines: request.code.split('\n'),
    invocationLine: compiled.script.trimEnd().split('\n').length,
  });

  interruptSignal = newInterruptSignal();
  const signal = interruptSignal;
  let interrupted = false;
  current = { interrupt: () => { interrupted = true; signal.reject(new KeyboardInterrupt()); } };
  try {
    checker.commit(request.code);
    let value = runSynchronously(compiled.script, fileName);
    if (compiled.isAsync) value = await Promise.race([value, signal.promise]);
    await Promise.race([displays.settled(), signal.promise]);
    const result = request.silent || value === undefined || isDisplayHandle(value) ? undefined : { data: await toMimeBundle(value), metadata: {} };
    return { status: 'ok', ...(result ? { result } : {}), userExpressions: await evaluateExpressions(request.userExpressions) };
  } catch (error) {
    if (interrupted || error instanceof KeyboardInterrupt || (error as { code?: string })?.code === 'ERR_SCRIPT_EXECUTION_INTERRUPTED') {
      return { status: 'error', ...keyboardInterrupt() };
    }
    return { status: 'error', ...describe(error) };
  } finally {
    current = undefined;
    collectGarbageWhenIdle();
  }
}

/** Heap size above which an idle worker collects garbage: rebuilding programs leaves much of it, which V8 keeps for long. */
const IDLE_COLLECTION_HEAP_BYTES = 128 * 2 ** 20;
const IDLE_DELAY_MS = 1000;
let idleTimer: NodeJS.Timeout | undefined;
let collectGarbage: (() => void) | undefined;

function collectGarbageWhenIdle(): void {
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => {
    if (current || v8.getHeapStatistics().total_heap_size < IDLE_COLLECTION_HEAP_BYTES) return;
    if (!collectGarbage) {
      v8.setFlagsFromString('--expose-gc');
      collectGarbage = vm.runInNewContext('gc') as () => void;
    }
    // The first full collection leaves the freed space committed; a second one lets V8 shrink the heap.
    collectGarbage();
    collectGarbage();
  }, IDLE_DELAY_MS);
  idleTimer.unref();
}

/** Runs a compiled script in the global scope; a SIGINT sent to the process meanwhile stops it. */
function runSynchronously(script: string, fileName: string): unknown {
  Atomics.store(runningFlag, 0, 1);
  try {
    return vm.runInThisContext(script, { filename: fileName, breakOnSigint: true });
  } finally {
    Atomics.store(runningFlag, 0, 0);
  }
}

async function evaluateExpressions(expressions: Record<string, string>): Promise<Record<string, ExpressionResult>> {
  const results: Record<string, ExpressionResult> = {};
  for (const [name, expression] of Object.entries(expressions)) {
    try {
      const fileName = `tsgrad-expression-${++compiledCells}`;
      const compiled = compileCell(expression, checker.rewrites(expression));
      if (compiled.diagnostics.length > 0) {
        results[name] = { status: 'error', ...syntaxError(expression, compiled.diagnostics[0]!) };
        continue;
      }
      results[name] = { status: 'ok', data: await toMimeBundle(runSynchronously(compiled.script, fileName)), metadata: {} };
    } catch (error) {
      results[name] = { status: 'error', ...describe(error) };
    }
  }
  return results;
}

function complete(code: string, cursor: number): CompleteResult {
  const { matches, kinds, start, end } = checker.complete(code, cursor);
  return {
    matches,
    cursor_start: start,
    cursor_end: end,
    metadata: { _jupyter_types_experimental: matches.map((text, index) => ({ text, type: kinds[index], start, end })) },
  };
}

function inspectAt(code: string, cursor: number): InspectResult {
  const info = checker.quickInfo(code, cursor);
  if (!info) return { found: false, data: {}, metadata: {} };
  const plain = info.documentation ? `${info.signature}\n\n${info.documentation}` : info.signature;
  const markdown = `\`\`\`typescript\n${info.signature}\n\`\`\`` + (info.documentation ? `\n\n${info.documentation}` : '');
  return { found: true, data: { 'text/plain': plain, 'text/markdown': markdown }, metadata: {} };
}

/** `input(prompt)` in cells: asks the client for a line of text. */
function input(prompt = '', options: { password?: boolean } = {}): Promise<string> {
  const id = ++nextInputId;
  return new Promise((resolve, reject) => {
    pendingInputs.set(id, { resolve, reject });
    post({ kind: 'input', id, prompt: String(prompt), password: options.password ?? false });
  });
}

/** Imports for cells: built-ins, then packages resolved from the working directory, then from tsgrad's own. */
async function importForCell(specifier: string): Promise<unknown> {
  if (isBuiltin(specifier)) return import(specifier);
  try {
    return await importerIn(setup.cwd)(specifier);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND' || specifier.startsWith('.')) throw error;
    return importerIn(packageRoot)(specifier).catch(() => { throw error; });
  }
}

const importers = new Map<string, (specifier: string) => Promise<unknown>>();

/** A dynamic import() that resolves specifiers as a module in `directory` would. */
function importerIn(directory: string): (specifier: string) => Promise<unknown> {
  let importer = importers.get(directory);
  if (!importer) {
    importer = (new vm.Script('(specifier) => import(specifier)', {
      filename: path.join(directory, '__tsgrad_import.js'),
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    }).runInThisContext() as (specifier: string) => Promise<unknown>);
    importers.set(directory, importer);
  }
  return importer;
}

function describe(error: unknown): ErrorContent {
  return describeError(error, cells, (file) => {
    const filePath = file.startsWith('file://') ? fileURLToPath(file) : file;
    return filePath.startsWith(kernelRoot) || filePath.includes('__tsgrad_');
  });
}

function syntaxError(code: string, diagnostic: { start?: number; messageText: string | { messageText: string } }): ErrorContent {
  const before = code.slice(0, diagnostic.start ?? 0);
  const line = before.split('\n').length;
  const column = [...before.slice(before.lastIndexOf('\n') + 1)].length + 1;
  const message = typeof diagnostic.messageText === 'string' ? diagnostic.messageText : diagnostic.messageText.messageText;
  return { ename: 'SyntaxError', evalue: message, traceback: [`SyntaxError: ${message}`, `Line ${line}, Column ${column}`] };
}

function newInterruptSignal(): { promise: Promise<never>; reject: (error: Error) => void } {
  let reject!: (error: Error) => void;
  const promise = new Promise<never>((_resolve, rejectPromise) => { reject = rejectPromise; });
  promise.catch(() => undefined);
  return { promise, reject };
}

function defineGlobal(name: string, value: unknown): void {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

/** Sends everything written to stdout/stderr, console included, to the client, formatted as Node does without colours. */
function captureOutput(): void {
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    stream.write = ((chunk: string | Uint8Array, encoding?: BufferEncoding | ((error?: Error | null) => void), callback?: (error?: Error | null) => void) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
      if (text !== '') post({ kind: 'stream', name, text });
      (typeof encoding === 'function' ? encoding : callback)?.();
      return true;
    }) as typeof stream.write;
  }
  globalThis.console = new Console({ stdout: process.stdout, stderr: process.stderr, colorMode: false });
  process.on('uncaughtException', (error) => process.stderr.write(`Uncaught ${describe(error).traceback.join('\n')}\n`));
  process.on('unhandledRejection', (reason) => process.stderr.write(`Uncaught (in promise) ${describe(reason).traceback.join('\n')}\n`));
}

/** Keeps Node's ExperimentalWarning about the dynamic-import loader option that importerIn uses out of the cells' stderr. */
function silenceLoaderWarning(): void {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning instanceof Error ? warning.message : warning).includes('USE_MAIN_CONTEXT_DEFAULT_LOADER')) {
      Reflect.apply(emitWarning, process, [warning, ...rest]);
    }
  }) as typeof process.emitWarning;
}

/** The ambient declarations every cell sees: the runtime and the display functions. */
function globalsDeclaration(hasRuntime: boolean): string {
  const display = JSON.stringify(displayModule);
  // An import-equals alias (not a const) so that cells can also name the runtime's types: torch.Tensor, torch.nn.Linear.
  const torchImport = hasRuntime ? `import { ${runtime?.torch ? 'torch' : 'default'} as runtimeTorch } from ${JSON.stringify(runtimeModule)};\n` : '';
  const torchDeclaration = hasRuntime ? 'export import torch = runtimeTorch;' : 'const torch: any;';
  return `${torchImport}declare global {
  /** The PyTorch-like autograd runtime. */
  ${torchDeclaration}
  /** Shows a value (or raw HTML, SVG, Markdown, LaTeX, PNG, JSON through the shorthands) as a rich output. */
  const display: import(${display}).Display;
  /** Clears the cell's output, now or (\`wait: true\`) when the next output arrives. */
  const clear_output: import(${display}).ClearOutput;
  /** Asks the user for a line of text. */
  function input(prompt?: string, options?: { password?: boolean }): Promise<string>;
}
export {};
${hasRuntime ? operatorDeclarations(runtimeModule) : ''}`;
}
