import type {
  CompleteResult,
  ExecuteOptions,
  ExecuteOutcome,
  ExecutionSink,
  InspectResult,
  Interpreter,
  IsCompleteResult,
  LanguageInfo,
} from '../../kernel/core/interpreter.js';

/**
 * A stand-in interpreter for testing the core and the transport: each line of a cell is a command
 * (`print x`, `eprint x`, `result x`, `page text`, `display mime data`, `update id text`, `show id text`, `clear`, `wait`,
 * `sleep ms`, `later ms text`, `input prompt`, `password prompt`, `fail Name message`, `throw message`).
 * It keeps a counter of cells run so tests can see resets. Self-contained (type imports only) so it can be
 * transpiled on its own for the kernel process.
 */
export class FakeInterpreter implements Interpreter {
  readonly implementation = 'tsgrad';
  readonly implementationVersion = '0.0.0-fake';
  readonly languageInfo: LanguageInfo = {
    name: 'typescript',
    version: '5.9.3',
    mimetype: 'text/typescript',
    file_extension: '.ts',
    codemirror_mode: 'typescript',
    pygments_lexer: 'typescript',
  };
  readonly banner = 'fake interpreter';
  readonly helpLinks = [{ text: 'tsgrad', url: 'https://example.invalid/tsgrad' }];
  cellsRun = 0;
  shutdowns: boolean[] = [];
  private cancel: ((error: Error) => void) | null = null;

  async execute(code: string, sink: ExecutionSink, options: ExecuteOptions): Promise<ExecuteOutcome> {
    this.cellsRun += 1;
    let result: string | undefined;
    const payload: Record<string, unknown>[] = [];
    try {
      for (const line of code.split('\n')) {
        const [command = '', ...rest] = line.trim().split(' ');
        const argument = rest.join(' ');
        switch (command) {
          case '':
            break;
          case 'print':
            sink.stream('stdout', `${argument}\n`);
            break;
          case 'eprint':
            sink.stream('stderr', `${argument}\n`);
            break;
          case 'result':
            result = argument;
            break;
          case 'page':
            payload.push({ source: 'page', data: { 'text/plain': argument }, start: 0 });
            break;
          case 'count':
            result = String(this.cellsRun);
            break;
          case 'display': {
            const [mime = 'text/plain', ...data] = rest;
            sink.display({ [mime]: data.join(' '), 'text/plain': data.join(' ') }, {}, {}, false);
            break;
          }
          case 'show':
          case 'update':
            sink.display({ 'text/plain': rest.slice(1).join(' ') }, {}, { display_id: rest[0] }, command === 'update');
            break;
          case 'clear':
            sink.clearOutput(false);
            break;
          case 'wait':
            sink.clearOutput(true);
            break;
          case 'sleep':
            await this.interruptibleSleep(Number(argument));
            break;
          case 'later': {
            const [delay = '0', ...text] = rest;
            setTimeout(() => sink.stream('stdout', `${text.join(' ')}\n`), Number(delay));
            break;
          }
          case 'input':
          case 'password':
            sink.stream('stdout', `got ${await sink.input(argument, command === 'password')}\n`);
            break;
          case 'fail':
            return { status: 'error', ename: rest[0] ?? 'Error', evalue: rest.slice(1).join(' '), traceback: [`${rest[0]}: ${rest.slice(1).join(' ')}`] };
          case 'throw':
            throw new Error(argument);
          default:
            return { status: 'error', ename: 'SyntaxError', evalue: `unknown command ${command}`, traceback: [] };
        }
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      if (failure.name === 'Error') throw failure;
      return { status: 'error', ename: failure.name, evalue: failure.message, traceback: [`${failure.name}: ${failure.message}`] };
    }
    const userExpressions: Record<string, { status: 'ok'; data: Record<string, unknown>; metadata: Record<string, unknown> }> = {};
    for (const [name, expression] of Object.entries(options.userExpressions)) {
      userExpressions[name] = { status: 'ok', data: { 'text/plain': expression.toUpperCase() }, metadata: {} };
    }
    return result === undefined || options.silent
      ? { status: 'ok', userExpressions, payload }
      : { status: 'ok', result: { data: { 'text/plain': result }, metadata: {} }, userExpressions, payload };
  }

  async complete(code: string, cursorPos: number): Promise<CompleteResult> {
    const prefix = /\w*$/.exec(code.slice(0, cursorPos))?.[0] ?? '';
    const matches = ['print', 'eprint', 'result', 'display'].filter((word) => word.startsWith(prefix));
    return { matches, cursor_start: cursorPos - prefix.length, cursor_end: cursorPos, metadata: {} };
  }

  async inspect(code: string): Promise<InspectResult> {
    if (code.startsWith('explode')) throw new Error('inspect failed');
    const found = code.startsWith('print');
    return { found, data: found ? { 'text/plain': 'print: writes to stdout' } : {}, metadata: {} };
  }

  async isComplete(code: string): Promise<IsCompleteResult> {
    if (code.endsWith('\\')) return { status: 'incomplete', indent: '  ' };
    if (code.includes('???')) return { status: 'invalid' };
    return { status: 'complete' };
  }

  interrupt(): void {
    const error = new Error('interrupted');
    error.name = 'KeyboardInterrupt';
    this.cancel?.(error);
  }

  async shutdown(restart: boolean): Promise<void> {
    this.shutdowns.push(restart);
    if (restart) this.cellsRun = 0;
  }

  private interruptibleSleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cancel = null;
        resolve();
      }, ms);
      this.cancel = (error) => {
        clearTimeout(timer);
        this.cancel = null;
        reject(error);
      };
    });
  }
}

/** The factory the kernel looks for in an interpreter module. */
export function createInterpreter(): Interpreter {
  return new FakeInterpreter();
}
