import { readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { History } from './core/history.js';
import type { Interpreter } from './core/interpreter.js';
import { KernelCore } from './core/kernel-core.js';
import { readConnectionFile } from './transport/connection.js';
import { ZmqTransport } from './transport/zmq-transport.js';

/** Options of a kernel process. */
export interface KernelRunOptions {
  /** Append executed cells to this file (JSON lines) and read earlier sessions from it. */
  historyFile?: string;
}

/** How often the kernel checks that the process that launched it is still there (ms). */
const PARENT_POLL_MS = 1000;

const log = (line: string) => process.stderr.write(`[tsgrad] ${line}\n`);

/**
 * Loads the interpreter: the module named by TSGRAD_INTERPRETER_MODULE (tests use it to plug in a fake),
 * else kernel/interpreter. Either must export `createInterpreter(): Interpreter`.
 */
async function loadInterpreter(): Promise<Interpreter> {
  const override = process.env.TSGRAD_INTERPRETER_MODULE;
  const specifier = override
    ? pathToFileURL(isAbsolute(override) ? override : resolve(override)).href
    : new URL('./interpreter/index.js', import.meta.url).href;
  const module = (await import(specifier)) as { createInterpreter?: () => Interpreter };
  if (typeof module.createInterpreter !== 'function') throw new Error(`${specifier} does not export createInterpreter()`);
  return module.createInterpreter();
}

/** Starts a kernel on the sockets a connection file names; the process lives until shutdown or its parent dies. */
export async function runKernel(connectionFile: string, options: KernelRunOptions = {}): Promise<void> {
  const info = await readConnectionFile(connectionFile);
  const [transport, interpreter] = await Promise.all([ZmqTransport.bind(info, { log }), loadInterpreter()]);
  if (JSON.stringify(transport.info) !== JSON.stringify(info)) {
    // Ports were left to us (0): tell whoever reads the connection file which ones were taken.
    const original = JSON.parse(await readFile(connectionFile, 'utf8')) as Record<string, unknown>;
    // Renamed into place so that a reader never sees a half-written file.
    const temporary = `${connectionFile}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ ...original, ...transport.info }, null, 2));
    await rename(temporary, connectionFile);
  }

  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await transport.close().catch((error: unknown) => log(`closing sockets failed: ${String(error)}`));
    process.exit(code);
  };

  const core = new KernelCore({
    interpreter,
    transport,
    history: new History(options.historyFile),
    log,
    onShutdown: (restart) => {
      // A kernel manager restarts by starting a new process, and waits for this one to end before it does.
      if (!restart || process.env.JPY_PARENT_PID) void exit(0);
    },
  });
  // `starting` is queued before any reply to requests that arrived while the kernel was being wired up.
  const started = core.start();
  transport.onMessage((channel, message) => core.handle(channel, message));

  process.on('SIGINT', () => core.interrupt());
  process.on('SIGTERM', () => {
    void interpreter.shutdown(false).finally(() => exit(0));
  });
  process.on('unhandledRejection', (reason) => log(`unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));
  watchParent(() => void exit(0));
  await started;
}

/** Calls `onGone` when the launching process dies: JPY_PARENT_PID (as ipykernel watches it) or a changed parent pid. */
function watchParent(onGone: () => void): void {
  const launcherPid = Number(process.env.JPY_PARENT_PID);
  const initialParent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== initialParent || (launcherPid > 0 && !isAlive(launcherPid))) {
      log('the process that launched this kernel is gone; exiting');
      clearInterval(timer);
      onGone();
    }
  }, PARENT_POLL_MS);
  timer.unref();
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
