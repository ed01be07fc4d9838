/**
 * The TypeScript interpreter, driven directly (no sockets): cells in a persistent scope, imports, output,
 * results, type errors, completion, inspect, is_complete, tracebacks, interrupts, input and display.
 * The worker runs from the build: `npm test` builds first; the suite rebuilds when the build is older than
 * the interpreter's sources.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecuteOutcome, ExecutionSink, Interpreter, MimeBundle } from '../kernel/core/interpreter.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const builtWorker = path.join(root, 'dist', 'kernel', 'interpreter', 'worker.js');

/** Builds the project when the compiled worker is missing or older than the interpreter and display sources. */
function ensureBuild(): void {
  const sources = ['kernel/interpreter', 'kernel/display'].flatMap((directory) =>
    readdirSync(path.join(root, directory)).map((file) => path.join(root, directory, file)));
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  let built = 0;
  try { built = statSync(builtWorker).mtimeMs; } catch { /* not built yet */ }
  if (built >= newest) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
  } catch {
    // Type errors elsewhere in the project do not stop tsc from emitting.
  }
}

interface Recorded {
  streams: { name: string; text: string }[];
  displays: { bundle: MimeBundle; transient: { display_id?: string }; update: boolean }[];
  clears: boolean[];
  prompts: string[];
}

/** A sink that records everything, answering input() with `answer`. */
function recordingSink(answer?: string): ExecutionSink & Recorded {
  const recorded: Recorded = { streams: [], displays: [], clears: [], prompts: [] };
  return Object.assign(recorded, {
    stream: (name: 'stdout' | 'stderr', text: string) => void recorded.streams.push({ name, text }),
    display: (bundle: MimeBundle, _metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean) =>
      void recorded.displays.push({ bundle, transient, update }),
    clearOutput: (wait: boolean) => void recorded.clears.push(wait),
    input: async (prompt: string) => {
      recorded.prompts.push(prompt);
      if (answer === undefined) throw new Error('stdin is not allowed');
      return answer;
    },
  });
}

const stdoutOf = (sink: Recorded, name = 'stdout') => sink.streams.filter((stream) => stream.name === name).map((stream) => stream.text).join('');

describe('TypeScript interpreter', () => {
  let interpreter: Interpreter;
  let project: string;

  async function execute(code: string, sink: ExecutionSink = recordingSink(), allowStdin = false, userExpressions: Record<string, string> = {}): Promise<ExecuteOutcome> {
    return interpreter.execute(code, sink, { silent: false, storeHistory: true, allowStdin, userExpressions });
  }

  /** Runs a cell that must succeed; returns its result's text/plain. */
  async function run(code: string, sink: ExecutionSink = recordingSink()): Promise<string | undefined> {
    const outcome = await execute(code, sink);
    if (outcome.status !== 'ok') throw new Error(`${outcome.ename}: ${outcome.evalue}\n${outcome.traceback.join('\n')}`);
    return outcome.result?.data['text/plain'] as string | undefined;
  }

  beforeAll(async () => {
    ensureBuild();
    project = mkdtempSync(path.join(tmpdir(), 'tsgrad-interpreter-'));
    const esm = path.join(project, 'node_modules', 'esm-only');
    mkdirSync(esm, { recursive: true });
    writeFileSync(path.join(esm, 'package.json'), JSON.stringify({ name: 'esm-only', type: 'module', exports: { '.': { types: './index.d.ts', import: './index.js' } } }));
    writeFileSync(path.join(esm, 'index.js'), 'export function greet(name) { return `hello ${name}`; }\nexport const answer = 42;\n');
    writeFileSync(path.join(esm, 'index.d.ts'), '/** Greets someone. */\nexport declare function greet(name: string): string;\nexport declare const answer: number;\n');
    const { createInterpreter } = await import('../kernel/interpreter/index.js');
    interpreter = createInterpreter({ cwd: project });
  }, 180_000);

  afterAll(async () => {
    await interpreter?.shutdown(false);
    rmSync(project, { recursive: true, force: true });
  });

  it('keeps names across cells and lets a cell declare them again', async () => {
    expect(await run('1 + 1')).toBe('2');
    await run('const x: number = 5;\nlet count = 0;\nfunction increment() { count++; }');
    expect(await run('x * 2')).toBe('10');
    expect(await run('count = 10; increment(); count')).toBe('11');
    expect(await run('const x = "now a string"; x')).toBe("'now a string'");
    expect(await run('x.toUpperCase()')).toBe("'NOW A STRING'");
    await run('class Model { weight = 1 }');
    expect(await run('class Model { weight = 2; bias = 0 }\nnew Model()')).toBe('Model { weight: 2, bias: 0 }');
    expect(await run('const { a, b: [c, d = 4] } = { a: 1, b: [3] }; a + c + d')).toBe('8');
    expect(await run('a + c')).toBe('4');
  }, 120_000);

  it('shows the last expression as the result, and none for undefined or declarations', async () => {
    expect(await run('"text"')).toBe("'text'");
    expect(await run('({ nested: { list: [1, 2, 3] } })')).toBe('{ nested: { list: [ 1, 2, 3 ] } }');
    expect(await run('undefined')).toBeUndefined();
    expect(await run('const y = 3')).toBeUndefined();
    expect(await run('let z = 1;\nz + 1;')).toBe('2');
  });

  it('awaits at top level', async () => {
    expect(await run('const later = await new Promise<number>((resolve) => setTimeout(() => resolve(42), 20));\nlater + 1')).toBe('43');
    expect(await run('later')).toBe('42');
  });

  it('imports built-ins, an ES module package and a CommonJS package', async () => {
    expect(await run("import fs from 'node:fs';\nimport * as path from 'path';\ntypeof fs.readFileSync + ' ' + path.join('a', 'b')")).toBe("'function a/b'");
    expect(await run("fs.existsSync('/')")).toBe('true');
    expect(await run("import { greet, answer } from 'esm-only';\ngreet('Ada') + ' ' + answer")).toBe("'hello Ada 42'");
    expect(await run("import { WebSocket } from 'ws';\ntypeof WebSocket")).toBe("'function'");
    expect(await run("const os = await import('node:os');\ntypeof os.cpus")).toBe("'function'");
  });

  it('streams console and process output without colours, and output from timers after the cell ended', async () => {
    const sink = recordingSink();
    await run([
      "console.log('hello', { a: 1 }, [1, 2]);",
      "console.error('bad');",
      "console.warn('careful');",
      "process.stdout.write('raw\\n');",
      "console.table([{ k: 1 }]);",
      "setTimeout(() => console.log('late'), 50);",
    ].join('\n'), sink);
    expect(stdoutOf(sink)).toContain('hello { a: 1 } [ 1, 2 ]\nraw\n');
    expect(stdoutOf(sink)).toContain('│ k │');
    expect(stdoutOf(sink, 'stderr')).toBe('bad\ncareful\n');
    expect(stdoutOf(sink)).not.toContain('\u001b[');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(stdoutOf(sink)).toContain('late\n');
  });

  it('reports errors thrown by timers and unhandled rejections on stderr, and keeps running', async () => {
    const sink = recordingSink();
    await run("setTimeout(() => { throw new TypeError('from a timer'); }, 10);\nvoid Promise.reject(new Error('nobody caught me'));", sink);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stdoutOf(sink, 'stderr')).toContain('Uncaught (in promise) Error: nobody caught me');
    expect(stdoutOf(sink, 'stderr')).toContain('Uncaught TypeError: from a timer');
    expect(await run('1 + 2')).toBe('3');
  });

  it('reports type errors at the cell line and column and does not run the cell', async () => {
    const outcome = await execute('const ok = 1;\nconst n: number = "s";\nconsole.log("ran")');
    expect(outcome).toMatchObject({ status: 'error', ename: 'TSError' });
    if (outcome.status !== 'error') return;
    expect(outcome.evalue).toBe("Line 2, Column 7: Type 'string' is not assignable to type 'number'.");
    expect(outcome.traceback).toContain("Line 2, Column 7: Type 'string' is not assignable to type 'number'.");
    expect((await execute('ok')).status).toBe('error');
    expect(await run('// @ts-nocheck\nconst forced: number = "s" as any as number;\nconst n2: number = "s";\nn2')).toBe("'s'");
  });

  it('completes by type, from earlier cells and from npm packages, in code points', async () => {
    await run('class Weight { grad = 0; grad_fn = null; data = 1 }\nconst w = new Weight();');
    expect(await interpreter.complete('w.gr', 4)).toMatchObject({ matches: ['grad', 'grad_fn'], cursor_start: 2, cursor_end: 4 });
    const unicode = 'const é = "😀"; w.gr';
    const cursor = [...unicode].length;
    expect(await interpreter.complete(unicode, cursor)).toMatchObject({ matches: ['grad', 'grad_fn'], cursor_start: cursor - 2, cursor_end: cursor });
    expect((await interpreter.complete('incr', 4)).matches).toContain('increment');
    expect((await interpreter.complete("import { gr } from 'esm-only'; greet", 36)).matches).toContain('greet');
    expect((await interpreter.complete('fs.readFileS', 12)).matches).toEqual(['readFileSync']);
  });

  it('inspects the type and JSDoc of the name under the cursor', async () => {
    await run('/** Squares a number. */\nfunction square(value: number): number { return value * value; }');
    const inspected = await interpreter.inspect('square(3)', 3, 0);
    expect(inspected.found).toBe(true);
    expect(inspected.data['text/plain']).toBe('function square(value: number): number\n\nSquares a number.');
    expect(inspected.data['text/markdown']).toContain('Squares a number.');
    expect((await interpreter.inspect('   ', 1, 0)).found).toBe(false);
  });

  it('says whether a cell is complete', async () => {
    expect(await interpreter.isComplete('1 + 1')).toEqual({ status: 'complete' });
    expect(await interpreter.isComplete('function f() {')).toEqual({ status: 'incomplete', indent: '  ' });
    expect(await interpreter.isComplete('const s = `abc')).toMatchObject({ status: 'incomplete' });
    expect(await interpreter.isComplete('foo(1, [2,')).toMatchObject({ status: 'incomplete' });
    expect(await interpreter.isComplete('let = = 3')).toEqual({ status: 'invalid' });
    expect(await interpreter.isComplete('let s = "abc')).toEqual({ status: 'invalid' });
  });

  it('reports runtime errors with a traceback pointing at cell lines', async () => {
    const outcome = await execute('function fail(v: number) {\n  throw new RangeError("bad value " + v);\n}\nfail(3);');
    expect(outcome).toMatchObject({ status: 'error', ename: 'RangeError', evalue: 'bad value 3' });
    if (outcome.status !== 'error') return;
    expect(outcome.traceback[0]).toBe('RangeError: bad value 3');
    expect(outcome.traceback[1]).toMatch(/^ {4}at fail \(cell \d+, line 2, column 9\)\n {8}throw new RangeError/);
    expect(outcome.traceback[2]).toMatch(/^ {4}at cell \d+, line 4, column 1\n {8}fail\(3\);/);
    expect(outcome.traceback.join('\n')).not.toMatch(/worker\.js|node:internal|kernel\//);
    expect(await execute('undefinedName')).toMatchObject({ status: 'error', ename: 'TSError' });
    expect(await execute('// @ts-nocheck\nundefinedName')).toMatchObject({ status: 'error', ename: 'ReferenceError', evalue: 'undefinedName is not defined' });
    expect(await execute('throw "boom"')).toMatchObject({ status: 'error', ename: 'Uncaught', evalue: "'boom'" });
  });

  it('interrupts a busy loop and keeps variables', async () => {
    const running = execute('let spins = 0;\nwhile (true) { spins++; }');
    setTimeout(() => interpreter.interrupt(), 300);
    expect(await running).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await run('spins > 0')).toBe('true');
  });

  it('interrupts a pending await, and code busy after an await, keeping variables', async () => {
    const pending = execute('let stage = 1;\nawait new Promise(() => {});\nstage = 2;');
    setTimeout(() => interpreter.interrupt(), 300);
    expect(await pending).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await run('stage')).toBe('1');
    const busy = execute('let phase = 1;\nawait new Promise((resolve) => setTimeout(resolve, 10));\nphase = 2;\nwhile (true) {}');
    setTimeout(() => interpreter.interrupt(), 300);
    expect(await busy).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await run('phase')).toBe('2');
  });

  it('asks for input when stdin is allowed and raises a clear error when not', async () => {
    const sink = recordingSink('Ada');
    const outcome = await execute('const name = await input("Name? ");\n`hi ${name}`', sink, true);
    expect(outcome).toMatchObject({ status: 'ok', result: { data: { 'text/plain': "'hi Ada'" } } });
    expect(sink.prompts).toEqual(['Name? ']);
    expect(await execute('await input("Name? ")', recordingSink('Ada'), false)).toMatchObject({
      status: 'error', ename: 'StdinNotImplementedError', evalue: 'input() was called, but this frontend does not support input requests.',
    });
  });

  it('displays rich outputs, updates them in place and clears output', async () => {
    const sink = recordingSink();
    const result = await run([
      'display.html("<b>bold</b>");',
      'display.markdown("*em*");',
      'display.svg("<svg/>");',
      'display.latex("$x^2$");',
      'display.png(new Uint8Array([137, 80, 78, 71]));',
      'display.json({ a: 1 });',
      'const handle = display({ step: 1 });',
      'handle.update({ step: 2 });',
      'display({ [Symbol.for("Jupyter.display")]() { return { "text/html": "<i>own</i>" }; } }, { display_id: "mine" });',
      'display("replaced", { display_id: "mine", update: true });',
      'display({ async [Symbol.for("Jupyter.display")]() { return { "text/html": "<u>later</u>", "text/plain": "later" }; } });',
      'clear_output({ wait: true });',
      'display({ last: true })',
    ].join('\n'), sink);
    expect(result).toBeUndefined();
    const bundles = sink.displays.map((shown) => shown.bundle);
    expect(bundles[0]).toEqual({ 'text/html': '<b>bold</b>', 'text/plain': '<b>bold</b>' });
    expect(bundles[1]).toMatchObject({ 'text/markdown': '*em*' });
    expect(bundles[2]).toMatchObject({ 'image/svg+xml': '<svg/>' });
    expect(bundles[3]).toMatchObject({ 'text/latex': '$x^2$' });
    expect(bundles[4]).toMatchObject({ 'image/png': 'iVBORw==' });
    expect(bundles[5]).toEqual({ 'application/json': { a: 1 }, 'text/plain': '{ a: 1 }' });
    expect(sink.displays[6]).toMatchObject({ bundle: { 'text/plain': '{ step: 1 }' }, update: false });
    expect(sink.displays[7]).toMatchObject({ bundle: { 'text/plain': '{ step: 2 }' }, update: true, transient: { display_id: sink.displays[6]!.transient.display_id } });
    expect(sink.displays[8]).toMatchObject({ bundle: { 'text/html': '<i>own</i>' }, transient: { display_id: 'mine' }, update: false });
    expect(sink.displays[9]).toMatchObject({ bundle: { 'text/plain': "'replaced'" }, transient: { display_id: 'mine' }, update: true });
    expect(bundles).toContainEqual({ 'text/html': '<u>later</u>', 'text/plain': 'later' });
    expect(bundles.every((bundle) => typeof bundle['text/plain'] === 'string')).toBe(true);
    expect(sink.clears).toEqual([true]);
  });

  it('updates a torch.viz.live view in place through display, without a publish option', async () => {
    const sink = recordingSink();
    await run([
      'const view = torch.viz.live({ title: "fit" });',
      'view.update({ loss: 0.5 });',
      'view.close();',
    ].join('\n'), sink);
    const [first, ...rest] = sink.displays;
    expect(first).toMatchObject({ update: false });
    expect(first!.bundle['text/html']).toContain('fit');
    expect(first!.transient.display_id).toMatch(/^tsgrad-live-/);
    expect(rest.length).toBeGreaterThan(0);
    for (const later of rest) expect(later).toMatchObject({ update: true, transient: { display_id: first!.transient.display_id } });
    expect(rest[rest.length - 1]!.bundle['text/plain']).toContain('0.5');
  });

  it('evaluates user expressions after the cell', async () => {
    const outcome = await execute('const base = 20;', recordingSink(), false, { doubled: 'base * 2', broken: 'nope()' });
    expect(outcome).toMatchObject({
      status: 'ok',
      userExpressions: { doubled: { status: 'ok', data: { 'text/plain': '40' } }, broken: { status: 'error', ename: 'ReferenceError' } },
    });
  });

  it('has torch in scope', async () => {
    expect(await run('typeof torch.tensor')).toBe("'function'");
    expect(await run('const t = torch.tensor([1, 2, 3]);\nt.sum().item()')).toBe('6');
    expect((await interpreter.complete('t.su', 4)).matches).toContain('sum');
    await run('const weights = torch.tensor([1.0, 2.0], { requires_grad: true });');
    expect((await interpreter.complete('weights.gr', 10)).matches).toEqual(expect.arrayContaining(['grad', 'grad_fn']));
    const inspected = await interpreter.inspect('weights.backward()', 10, 0);
    expect(inspected.data['text/plain']).toMatch(/^\(method\) Tensor\.backward\(.*\): void\n\n\S/);
  });

  it("names torch's types in cells, and checks them", async () => {
    expect(await run('let typed: torch.Tensor = torch.zeros(2);\ntyped.shape[0]')).toBe('2');
    const mistyped = await execute('let module: torch.nn.Linear = torch.zeros(2);');
    expect(mistyped).toMatchObject({ status: 'error', ename: 'TSError' });
    if (mistyped.status !== 'error') return;
    expect(mistyped.evalue).toMatch(/^Line 1, Column 5: Type 'Tensor' is (missing the following properties from|not assignable to) type 'Linear'/);
  });

  it('survives a cell that ends its worker, starting a fresh one', async () => {
    expect(await execute('process.exit(1)')).toMatchObject({ status: 'error', ename: 'WorkerExit' });
    expect(await run('1 + 1')).toBe('2');
  }, 120_000);

  it('says MemoryError when a cell exhausts the JavaScript heap, and runs the next cell in a fresh worker', async () => {
    const outcome = await execute('const hog: number[][] = [];\nwhile (true) hog.push(new Array(1e6).fill(1.5));');
    expect(outcome).toMatchObject({ status: 'error', ename: 'MemoryError' });
    if (outcome.status === 'error') expect(outcome.evalue).toMatch(/ran out of JavaScript heap memory/);
    expect(await run('1 + 1')).toBe('2');
  }, 180_000);

  it('starts afresh on restart', async () => {
    await run('const survivor = 1;');
    await interpreter.shutdown(true);
    expect(await execute('// @ts-nocheck\nsurvivor')).toMatchObject({ status: 'error', ename: 'ReferenceError' });
    expect(await run('1 + 1')).toBe('2');
  }, 120_000);

  it('interrupts code busy after an await in a worker started after a restart', async () => {
    await interpreter.shutdown(true);
    expect(await run('1 + 1')).toBe('2');
    const busy = execute('let phase = 1;\nawait new Promise((resolve) => setTimeout(resolve, 10));\nphase = 2;\nwhile (true) {}');
    setTimeout(() => interpreter.interrupt(), 300);
    expect(await busy).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect(await run('phase')).toBe('2');
  }, 120_000);

  it('answers a repeated complete or inspect request anew after a cell, and after a restart', async () => {
    await run('const cachedOne = 1;');
    expect((await interpreter.complete('cached', 6)).matches).toEqual(['cachedOne']);
    expect((await interpreter.complete('cached', 6)).matches).toEqual(['cachedOne']);
    expect((await interpreter.inspect('cachedOne', 9, 0)).data['text/plain']).toBe('const cachedOne: 1');
    await run('const cachedTwo = "two";\nconst cachedOne = 2;');
    expect((await interpreter.complete('cached', 6)).matches).toEqual(['cachedOne', 'cachedTwo']);
    expect((await interpreter.inspect('cachedOne', 9, 0)).data['text/plain']).toBe('const cachedOne: 2');
    await interpreter.shutdown(true);
    expect((await interpreter.complete('cached', 6)).matches).toEqual([]);
    expect((await interpreter.inspect('cachedOne', 9, 0)).data['text/plain']).toBe('any');
  }, 120_000);
});
