import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelManager, ServerConnection, type KernelMessage } from '@jupyterlab/services';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../kernel/client/launch.js';
import { builtCli, repoRoot } from './helpers/jupyter-client.js';

// Real Jupyter clients (Debian's Python packages) against the installed kernelspec and the real interpreter.
const python = '/usr/bin/python3';
const kernelName = 'tsgrad';
const pythonModules: Record<string, string> = {
  jupyter_kernel_test: 'python3-jupyter-kernel-test',
  jupyter_client: 'python3-jupyter-client',
  jupyter_console: 'jupyter-console',
  jupyter_server: 'python3-jupyter-server',
};

/** Fails with a plain message when the Python side is missing, rather than skipping. */
function requirePythonTools(): void {
  const missing = Object.entries(pythonModules).filter(
    ([module]) => spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore' }).status !== 0,
  );
  if (missing.length > 0) {
    throw new Error(
      `The interop tests need ${python} with ${missing.map(([module]) => module).join(', ')}. ` +
        `Install the Debian packages ${missing.map(([, pkg]) => pkg).join(' ')} (bash tools/system-deps.sh).`,
    );
  }
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion, collecting its output, feeding it `input` if given. */
function runProcess(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs: number }): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd ?? repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not finish within ${options.timeoutMs} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

describe('real Jupyter clients', () => {
  let env: NodeJS.ProcessEnv;
  let prefix: string;

  beforeAll(async () => {
    requirePythonTools();
    const cli = builtCli();
    const root = await mkdtemp(join(tmpdir(), 'tsgrad-interop-'));
    prefix = join(root, 'prefix');
    // Private Jupyter directories: nothing from the user's own setup (other kernels, config) takes part.
    for (const directory of ['data', 'runtime', 'config']) await mkdir(join(root, directory));
    env = {
      ...process.env,
      JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
      JUPYTER_DATA_DIR: join(root, 'data'),
      JUPYTER_RUNTIME_DIR: join(root, 'runtime'),
      JUPYTER_CONFIG_DIR: join(root, 'config'),
      TSGRAD_KERNEL_NAME: kernelName,
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
    const installed = await runProcess(process.execPath, [cli, 'install', '--prefix', prefix, '--name', kernelName], { env, timeoutMs: 30_000 });
    expect(installed.code, installed.stderr).toBe(0);
  });

  it('shows the installed kernelspec in jupyter kernelspec list', async () => {
    const listed = await runProcess(python, ['-m', 'jupyter_client.kernelspecapp', 'list', '--json'], { env, timeoutMs: 60_000 });
    expect(listed.code, listed.stderr).toBe(0);
    // The installed spec keeps the node flags and environment of the repository's kernel.json, with absolute paths.
    const repoSpec = JSON.parse(await readFile(join(repoRoot, 'kernel.json'), 'utf8')) as { argv: string[]; env: Record<string, string> };
    const nodeFlags = repoSpec.argv.slice(1).filter((arg) => arg.startsWith('--'));
    const specs = (JSON.parse(listed.stdout) as { kernelspecs: Record<string, { spec: Record<string, unknown> }> }).kernelspecs;
    expect(specs[kernelName]!.spec).toMatchObject({
      display_name: 'TypeScript (tsgrad)',
      language: 'typescript',
      interrupt_mode: 'message',
      metadata: { debugger: false },
      argv: [process.execPath, ...nodeFlags, join(repoRoot, 'dist', 'kernel', 'cli.js'), 'kernel', '{connection_file}'],
      env: repoSpec.env,
    });
  });

  it('passes jupyter_kernel_test with no test skipped', async () => {
    const suite = await runProcess(python, ['-m', 'unittest', '-v', 'test_tsgrad_kernel'], {
      env,
      cwd: join(repoRoot, 'test', 'conformance'),
      timeoutMs: 600_000,
    });
    const summary = suite.stderr.split('\n').filter((line) => /^(test_|Ran |OK|FAILED)/.test(line)).join('\n');
    expect(suite.code, suite.stderr).toBe(0);
    expect(summary).not.toMatch(/skipped/);
    expect(summary).toMatch(/^OK$/m);
  }, 660_000);

  it('starts, interrupts (message and SIGINT), restarts and shuts down through jupyter_client', async () => {
    const lifecycle = await runProcess(python, [join(repoRoot, 'test', 'conformance', 'client_lifecycle.py')], { env, timeoutMs: 300_000 });
    expect(lifecycle.code, `${lifecycle.stdout}\n${lifecycle.stderr}`).toBe(0);
    const findings = JSON.parse(lifecycle.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    console.log('jupyter_client lifecycle:', findings);
    expect(findings.implementation).toBe('tsgrad');
  }, 320_000);

  it('runs a cell in jupyter console', async () => {
    const consoleRun = await runProcess(python, ['-m', 'jupyter_console', '--kernel', kernelName, '--simple-prompt'], {
      env,
      input: 'console.log(6 * 7)\n',
      timeoutMs: 120_000,
    });
    expect(consoleRun.code, consoleRun.stderr).toBe(0);
    expect(consoleRun.stdout).toMatch(/In \[1\]: 42\n/);
  }, 130_000);

  describe('@jupyterlab/services through jupyter server', () => {
    let server: ChildProcess;
    let manager: KernelManager;
    const token = randomBytes(16).toString('hex');

    beforeAll(async () => {
      const port = await freePort();
      const root = await mkdtemp(join(tmpdir(), 'tsgrad-server-'));
      server = spawn(
        python,
        ['-m', 'jupyter_server', `--ServerApp.port=${port}`, '--ServerApp.ip=127.0.0.1', `--ServerApp.token=${token}`,
          '--ServerApp.open_browser=False', `--ServerApp.root_dir=${root}`, '--ServerApp.port_retries=0', '--allow-root'],
        { env, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let serverLog = '';
      server.stderr?.on('data', (chunk: Buffer) => (serverLog += chunk.toString()));
      const baseUrl = `http://127.0.0.1:${port}/`;
      for (let attempt = 0; ; attempt++) {
        const status = await fetch(`${baseUrl}api/status?token=${token}`).catch(() => null);
        if (status?.ok) break;
        if (attempt > 600 || server.exitCode !== null) throw new Error(`jupyter server did not start:\n${serverLog}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const serverSettings = ServerConnection.makeSettings({
        baseUrl,
        wsUrl: `ws://127.0.0.1:${port}/`,
        token,
        appendToken: true,
        WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      });
      manager = new KernelManager({ serverSettings });
      await manager.ready;
    }, 120_000);

    afterAll(async () => {
      manager?.dispose();
      if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((resolve) => server.once('exit', resolve));
      }
    });

    async function execute(kernel: Awaited<ReturnType<KernelManager['startNew']>>, code: string) {
      const future = kernel.requestExecute({ code });
      const outputs: KernelMessage.IIOPubMessage[] = [];
      future.onIOPub = (message) => void outputs.push(message);
      const reply = await future.done;
      return { reply, outputs };
    }

    it('starts a kernel, runs cells, interrupts, restarts and shuts down as JupyterLab does', async () => {
      const kernel = await manager.startNew({ name: kernelName });
      const info = await kernel.info;
      expect(info.implementation).toBe('tsgrad');
      expect(info.language_info.name).toBe('typescript');

      const first = await execute(kernel, 'let total = 40; total + 2');
      expect(first.reply.content.status).toBe('ok');
      const result = first.outputs.find((message) => message.header.msg_type === 'execute_result') as KernelMessage.IExecuteResultMsg;
      expect(result.content.data['text/plain']).toBe('42');

      const busy = kernel.requestExecute({ code: 'while (true) {}' });
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await kernel.interrupt();
      const interrupted = await busy.done.catch((error: unknown) => (error as { content?: unknown }) ?? error);
      expect(JSON.stringify(interrupted)).toMatch(/"status":"error"/);
      const kept = await execute(kernel, 'total');
      expect(kept.reply.content.status).toBe('ok');

      await kernel.restart();
      // After a restart the name is gone: the cell fails, and counting starts again.
      const afterRestart = await execute(kernel, 'total').catch((error: unknown) => ({ reply: error as KernelMessage.IExecuteReplyMsg, outputs: [] }));
      expect(afterRestart.reply.content).toMatchObject({ status: 'error', execution_count: 1 });

      await kernel.shutdown();
      expect(kernel.isDisposed || kernel.status === 'dead').toBe(true);
    }, 180_000);
  });
});
