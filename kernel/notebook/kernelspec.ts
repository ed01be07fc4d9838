/**
 * Kernelspecs as jupyter_client finds and launches them: `kernels/<name>/kernel.json` under the Jupyter
 * data directories, argv with `{connection_file}` and `{resource_dir}` substituted, the spec's env added.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freshConnectionInfo } from '../client/launch.js';
import type { ConnectionInfo } from '../transport/connection.js';

/** The fields of kernel.json the runner uses. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode?: 'signal' | 'message';
  env?: Record<string, string>;
  metadata?: Record<string, unknown>;
}

/** A kernelspec with its name and the directory it was read from (its resource_dir). */
export interface ResolvedKernelSpec {
  name: string;
  resourceDir: string;
  spec: KernelSpec;
}

/** The kernelspec name this repository installs. */
export const TSGRAD_KERNEL_NAME = 'tsgrad';

/** Raised when no kernelspec of the requested name exists. */
export class NoSuchKernelError extends Error {
  override name = 'NoSuchKernel';
}

/** The Jupyter data directories searched for kernelspecs, in jupyter_core's order (user, env, system). */
export function jupyterDataDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromPath = (env.JUPYTER_PATH ?? '').split(delimiter).filter((entry) => entry !== '');
  const user = env.JUPYTER_DATA_DIR ?? join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'jupyter');
  return [...fromPath, user, '/usr/local/share/jupyter', '/usr/share/jupyter'];
}

/** Reads `<directory>/kernel.json`. */
export async function readKernelSpec(directory: string, name = TSGRAD_KERNEL_NAME): Promise<ResolvedKernelSpec> {
  const raw = JSON.parse(await readFile(join(directory, 'kernel.json'), 'utf8')) as Partial<KernelSpec>;
  if (!Array.isArray(raw.argv) || raw.argv.length === 0 || !raw.argv.every((arg) => typeof arg === 'string')) {
    throw new Error(`${join(directory, 'kernel.json')}: argv must be a non-empty list of strings`);
  }
  return {
    name,
    resourceDir: resolve(directory),
    spec: { ...raw, argv: raw.argv, display_name: raw.display_name ?? name, language: raw.language ?? '' },
  };
}

/** Finds an installed kernelspec by name, as `jupyter kernelspec list` would. */
export async function findKernelSpec(name: string, env: NodeJS.ProcessEnv = process.env): Promise<ResolvedKernelSpec> {
  const searched = jupyterDataDirs(env).map((dir) => join(dir, 'kernels', name));
  for (const directory of searched) {
    try {
      return await readKernelSpec(directory, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  throw new NoSuchKernelError(`No such kernel named ${name} (looked in ${searched.join(', ')})`);
}

/** The root of this package (holding kernel.json), found upwards from this module in the sources or in dist/. */
export const packageRoot = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(start: string): string {
  for (let directory = start; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'kernel.json')) && existsSync(join(directory, 'package.json'))) return directory;
    if (dirname(directory) === directory) throw new Error(`no kernel.json in any directory above ${start}`);
  }
}

/**
 * The repository's own kernel.json, made runnable from anywhere: `node` becomes this Node (as jupyter_client
 * puts its own Python for `python`) and relative paths to files of the package become absolute.
 */
export async function repositoryKernelSpec(): Promise<ResolvedKernelSpec> {
  const resolved = await readKernelSpec(packageRoot, TSGRAD_KERNEL_NAME);
  resolved.spec.argv = resolved.spec.argv.map((arg, index) => {
    if (index === 0 && arg === 'node') return process.execPath;
    const candidate = join(packageRoot, arg);
    return arg.includes('/') && !isAbsolute(arg) && existsSync(candidate) ? candidate : arg;
  });
  return resolved;
}

/** A kernel process started from a kernelspec on a connection file written for it. */
export interface KernelProcess {
  info: ConnectionInfo;
  connectionFile: string;
  process: ChildProcess;
  /** The last part of what the kernel wrote to stdout and stderr, for failure reports. */
  log(): string;
  /** Resolves with a description of how the process ended (`exit code 1`, `signal SIGKILL`). */
  exited: Promise<string>;
  /** Deletes the connection file's directory. */
  cleanUp(): Promise<void>;
}

const KEPT_LOG_CHARS = 8000;

/** Writes a connection file (free loopback ports, random key, hmac-sha256) and starts the spec's argv on it. */
export async function startKernel(kernel: ResolvedKernelSpec, cwd: string): Promise<KernelProcess> {
  const info = await freshConnectionInfo();
  const directory = await mkdtemp(join(tmpdir(), 'tsgrad-run-'));
  const connectionFile = join(directory, `kernel-${process.pid}.json`);
  await writeFile(connectionFile, JSON.stringify({ ...info, kernel_name: kernel.name }, null, 1), { mode: 0o600 });
  const argv = kernel.spec.argv.map((arg) =>
    arg.replaceAll('{connection_file}', connectionFile).replaceAll('{resource_dir}', kernel.resourceDir),
  );
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd,
    env: { ...process.env, ...kernel.spec.env, JPY_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own session, as jupyter_client starts kernels: Ctrl-C in the terminal stops the runner, not the cell.
    detached: true,
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-KEPT_LOG_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<string>((resolveExit) => {
    child.once('error', (error) => resolveExit(`failed to start: ${error.message}`));
    child.once('exit', (code, signal) => resolveExit(signal !== null ? `signal ${signal}` : `exit code ${code}`));
  });
  return {
    info,
    connectionFile,
    process: child,
    log: () => log,
    exited,
    cleanUp: () => rm(directory, { recursive: true, force: true }),
  };
}
