#!/usr/bin/env node
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const usage = `Usage:
  tsgrad kernel <connection_file> [--history-file FILE]   run the kernel (Jupyter starts it this way)
  tsgrad install [--user | --sys-prefix | --prefix DIR] [--name NAME] [--display-name TEXT]
                                                          install the kernelspec (default: --user)
  tsgrad uninstall [--user | --sys-prefix | --prefix DIR] [--name NAME]
  tsgrad run <notebook.ipynb | directory>... [options]    execute notebooks through the kernel (tsgrad run --help)
  tsgrad export <notebook.ipynb | directory>... [options] write notebooks as HTML or Markdown
  tsgrad --version | --help`;

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where kernelspecs live for the chosen installation scope. */
function kernelsDirectory(values: { user?: boolean; 'sys-prefix'?: boolean; prefix?: string }): string {
  if (values.prefix) return join(resolve(values.prefix), 'share', 'jupyter', 'kernels');
  if (values['sys-prefix']) {
    // The prefix of the Python environment Jupyter runs in, as `jupyter kernelspec install --sys-prefix` uses.
    const python = process.env.JUPYTER_PYTHON ?? 'python3';
    const prefix = execFileSync(python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
    return join(prefix, 'share', 'jupyter', 'kernels');
  }
  return join(userDataDirectory(), 'kernels');
}

/** Jupyter's per-user data directory, following jupyter_core's rules. */
function userDataDirectory(): string {
  if (process.env.JUPYTER_DATA_DIR) return resolve(process.env.JUPYTER_DATA_DIR);
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Jupyter');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? homedir(), 'jupyter');
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'jupyter');
}

/** The repository's kernel.json with argv pointing at this node and this build, by absolute paths, keeping its node flags. */
function kernelSpec(displayName?: string): Record<string, unknown> {
  const spec = JSON.parse(readFileSync(join(packageRoot, 'kernel.json'), 'utf8')) as { argv: string[] } & Record<string, unknown>;
  const nodeFlags = spec.argv.slice(1).filter((argument) => argument.startsWith('--'));
  spec.argv = [process.execPath, ...nodeFlags, join(packageRoot, 'dist', 'kernel', 'cli.js'), 'kernel', '{connection_file}'];
  if (displayName) spec.display_name = displayName;
  return spec;
}

const locationOptions = {
  user: { type: 'boolean' },
  'sys-prefix': { type: 'boolean' },
  prefix: { type: 'string' },
  name: { type: 'string', default: 'tsgrad' },
} as const;

function install(args: string[]): void {
  const { values } = parseArgs({ args, options: { ...locationOptions, 'display-name': { type: 'string' } } });
  const directory = join(kernelsDirectory(values), values.name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'kernel.json'), `${JSON.stringify(kernelSpec(values['display-name']), null, 2)}\n`);
  console.log(`Installed kernelspec ${values.name} in ${directory}`);
}

function uninstall(args: string[]): void {
  const { values } = parseArgs({ args, options: locationOptions });
  const directory = join(kernelsDirectory(values), values.name);
  if (!existsSync(join(directory, 'kernel.json'))) {
    console.error(`No kernelspec ${values.name} in ${dirname(directory)}`);
    process.exitCode = 1;
    return;
  }
  rmSync(directory, { recursive: true, force: true });
  console.log(`Removed kernelspec ${values.name} from ${directory}`);
}

async function kernel(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'history-file': { type: 'string' } } });
  if (positionals.length !== 1) throw new Error('tsgrad kernel takes exactly one connection file');
  // Imported here so that install and uninstall never load zeromq or the interpreter.
  const { runKernel } = await import('./main.js');
  await runKernel(positionals[0]!, { historyFile: values['history-file'] });
}

/** Runs the command line `tsgrad <command> ...`. */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'kernel':
      return kernel(rest);
    case 'install':
      return install(rest);
    case 'uninstall':
      return uninstall(rest);
    case 'run':
    case 'export': {
      const { notebookMain, NOTEBOOK_USAGE } = await import('./notebook/main.js');
      if (rest.includes('--help') || rest.includes('-h')) {
        console.log(NOTEBOOK_USAGE);
        return;
      }
      process.exitCode = await notebookMain(command, rest);
      return;
    }
    case '--version':
      console.log((JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version);
      return;
    case '--help':
    case '-h':
    case undefined:
      console.log(usage);
      return;
    default:
      console.error(`Unknown command ${JSON.stringify(command)}\n${usage}`);
      process.exitCode = 2;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  // Exit outright: a kernel that failed half-way may hold sockets that would keep the process alive.
  process.exit(1);
});
