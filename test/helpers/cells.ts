/** The real TypeScript interpreter from the build, driven cell by cell, for tests that run notebook code. */
import { existsSync } from 'node:fs';
import type { ExecuteOutcome, ExecutionSink, Interpreter } from '../../kernel/core/interpreter.js';

const builtInterpreter = new URL('../../dist/kernel/interpreter/index.js', import.meta.url);

/** One interpreter whose stdout/stderr of the latest cell is kept in `printed`. */
export class CellSession {
  printed: string[] = [];
  readonly sink: ExecutionSink = {
    stream: (_name, text) => void this.printed.push(text),
    display: () => undefined,
    clearOutput: () => undefined,
    input: () => Promise.reject(new Error('no stdin')),
  };

  private constructor(readonly interpreter: Interpreter) {}

  /** Starts the built interpreter (`npm test` builds first; run `npm run build` before a single file). */
  static async start(): Promise<CellSession> {
    if (!existsSync(builtInterpreter)) throw new Error(`${builtInterpreter.pathname} is missing: run \`npm run build\` first`);
    const { createInterpreter } = (await import(builtInterpreter.href)) as { createInterpreter: () => Interpreter };
    return new CellSession(createInterpreter());
  }

  /** Runs a cell as a notebook does, clearing what the previous cell printed. */
  execute(code: string): Promise<ExecuteOutcome> {
    this.printed = [];
    return this.interpreter.execute(code, this.sink, { silent: false, storeHistory: true, allowStdin: false, userExpressions: {} });
  }

  /** Runs a cell that must succeed and gives its result's text/plain. */
  async run(code: string): Promise<string | undefined> {
    const outcome = await this.execute(code);
    if (outcome.status !== 'ok') throw new Error(`${outcome.ename}: ${outcome.evalue}\n${outcome.traceback.join('\n')}`);
    return outcome.result?.data['text/plain'] as string | undefined;
  }

  shutdown(): Promise<void> {
    return this.interpreter.shutdown(false);
  }
}
