import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtCli, fakeInterpreterModule, freshConnectionInfo, JupyterClient, launchKernel, repoRoot } from './helpers/jupyter-client.js';

function cli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, [builtCli(), ...args], { env, encoding: 'utf8' });
}

/** Resolves true if the process with this pid ends within the time given. */
async function endsWithin(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

describe('tsgrad command line', () => {
  it('installs a kernelspec with absolute paths into a prefix and uninstalls it', async () => {
    const prefix = await mkdtemp(join(tmpdir(), 'tsgrad-prefix-'));
    const installed = cli(['install', '--prefix', prefix, '--name', 'tsgrad-x', '--display-name', 'TS x']);
    expect(installed.status, installed.stderr).toBe(0);
    const specFile = join(prefix, 'share', 'jupyter', 'kernels', 'tsgrad-x', 'kernel.json');
    const spec = JSON.parse(readFileSync(specFile, 'utf8'));
    expect(spec).toEqual({
      argv: [process.execPath, '--v8-pool-size=2', join(repoRoot, 'dist', 'kernel', 'cli.js'), 'kernel', '{connection_file}'],
      display_name: 'TS x',
      language: 'typescript',
      interrupt_mode: 'message',
      env: { MALLOC_ARENA_MAX: '2', MALLOC_TRIM_THRESHOLD_: '131072' },
      metadata: { debugger: false },
    });
    const removed = cli(['uninstall', '--prefix', prefix, '--name', 'tsgrad-x']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(existsSync(specFile)).toBe(false);
    expect(cli(['uninstall', '--prefix', prefix, '--name', 'tsgrad-x']).status).toBe(1);
  });

  it('installs for the user into JUPYTER_DATA_DIR by default, named tsgrad', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tsgrad-data-'));
    const installed = cli(['install'], { ...process.env, JUPYTER_DATA_DIR: dataDir });
    expect(installed.status, installed.stderr).toBe(0);
    const spec = JSON.parse(readFileSync(join(dataDir, 'kernels', 'tsgrad', 'kernel.json'), 'utf8'));
    expect(spec.display_name).toBe('TypeScript (tsgrad)');
  });

  it('installs into the prefix of the Python Jupyter runs in with --sys-prefix', async () => {
    const root = await mkdtemp(join(tmpdir(), 'tsgrad-sysprefix-'));
    // A stand-in for Python that answers `print(sys.prefix)` with our temporary prefix.
    const python = join(root, 'python');
    await writeFile(python, `#!/bin/sh\necho ${join(root, 'env')}\n`, { mode: 0o755 });
    const installed = cli(['install', '--sys-prefix'], { ...process.env, JUPYTER_PYTHON: python });
    expect(installed.status, installed.stderr).toBe(0);
    expect(existsSync(join(root, 'env', 'share', 'jupyter', 'kernels', 'tsgrad', 'kernel.json'))).toBe(true);
  });

  it('keeps the repository kernel.json as the template users see', () => {
    const spec = JSON.parse(readFileSync(join(repoRoot, 'kernel.json'), 'utf8'));
    expect(spec).toMatchObject({ display_name: 'TypeScript (tsgrad)', language: 'typescript', interrupt_mode: 'message', metadata: { debugger: false } });
    expect(spec.argv.slice(-2)).toEqual(['kernel', '{connection_file}']);
  });

  it('prints usage, and refuses unknown commands with status 2', () => {
    expect(cli(['--help']).stdout).toContain('tsgrad kernel <connection_file>');
    const unknown = cli(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('Unknown command "frobnicate"');
    const version = cli(['--version']);
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  });

  it('gives up connecting to a kernel that never answers', async () => {
    const info = await freshConnectionInfo();
    await expect(JupyterClient.connect(info, 1000)).rejects.toThrow(/not ready within 1000 ms/);
  });

  it('fails plainly on a missing connection file', () => {
    const failed = cli(['kernel', join(tmpdir(), 'no-such-connection-file.json')]);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/no-such-connection-file\.json/);
  });
});

describe('kernel process lifetime (fake interpreter)', () => {
  it('stays up with fresh state after a restart request when no kernel manager launched it', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule() };
    delete env.JPY_PARENT_PID;
    const kernel = await launchKernel(builtCli(), env);
    const client = await JupyterClient.connect(kernel.info);
    try {
      await client.execute('result 1');
      const { reply } = await client.request('control', 'shutdown_request', { restart: true });
      expect(reply.content).toEqual({ status: 'ok', restart: true });
      const after = await client.execute('count');
      expect(after.reply.content.execution_count).toBe(1);
      expect(after.iopub.find((message) => message.header.msg_type === 'execute_result')!.content.data).toEqual({ 'text/plain': '1' });
      expect(kernel.process.exitCode).toBeNull();
    } finally {
      client.close();
      kernel.process.kill('SIGKILL');
    }
  });

  it('exits after a restart request when a kernel manager (JPY_PARENT_PID) will start the new process', async () => {
    const env = { ...process.env, TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule(), JPY_PARENT_PID: String(process.pid) };
    const kernel = await launchKernel(builtCli(), env);
    const client = await JupyterClient.connect(kernel.info);
    try {
      const { reply } = await client.request('control', 'shutdown_request', { restart: true });
      expect(reply.content).toEqual({ status: 'ok', restart: true });
      expect(await kernel.exited).toBe(0);
    } finally {
      client.close();
    }
  });

  it('writes the ports it chose back to a connection file that left them at 0', async () => {
    const info = { ...(await freshConnectionInfo()), shell_port: 0, iopub_port: 0 };
    const env: NodeJS.ProcessEnv = { ...process.env, TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule() };
    const kernel = await launchKernel(builtCli(), env, info);
    try {
      let written = info;
      while (written.shell_port === 0 || written.iopub_port === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        written = JSON.parse(readFileSync(kernel.connectionFile, 'utf8'));
      }
      expect(written).toEqual({ ...info, shell_port: written.shell_port, iopub_port: written.iopub_port });
      const client = await JupyterClient.connect(written);
      expect((await client.execute('result 7')).reply.content.status).toBe('ok');
      client.close();
    } finally {
      kernel.process.kill('SIGKILL');
    }
  });

  it('exits when the process named by JPY_PARENT_PID dies', async () => {
    const launcher = spawn('sleep', ['600'], { stdio: 'ignore' });
    const env = { ...process.env, TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule(), JPY_PARENT_PID: String(launcher.pid) };
    const kernel = await launchKernel(builtCli(), env);
    const client = await JupyterClient.connect(kernel.info);
    client.close();
    launcher.kill('SIGKILL');
    expect(await kernel.exited).toBe(0);
  });

  it('exits when its parent process dies, leaving no orphan', async () => {
    const fake = await fakeInterpreterModule();
    const connectionDir = await mkdtemp(join(tmpdir(), 'tsgrad-orphan-'));
    const connectionFile = join(connectionDir, 'connection.json');
    await writeFile(connectionFile, JSON.stringify(await freshConnectionInfo()));
    // A launcher that starts the kernel, reports its pid, then waits to be killed.
    const launcherSource = `
      const { spawn } = require('node:child_process');
      const kernel = spawn(process.execPath, [${JSON.stringify(builtCli())}, 'kernel', ${JSON.stringify(connectionFile)}], { stdio: 'ignore' });
      console.log(kernel.pid);
      setInterval(() => {}, 1000);
    `;
    const env: NodeJS.ProcessEnv = { ...process.env, TSGRAD_INTERPRETER_MODULE: fake };
    delete env.JPY_PARENT_PID;
    const launcher = spawn(process.execPath, ['-e', launcherSource], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const kernelPid = await new Promise<number>((resolve) => launcher.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await endsWithin(kernelPid, 100)).toBe(false);
    launcher.kill('SIGKILL');
    expect(await endsWithin(kernelPid, 20_000)).toBe(true);
  });
});
