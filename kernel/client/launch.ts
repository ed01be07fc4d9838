import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionInfo } from '../transport/connection.js';

/** Finds a TCP port that is free on the loopback interface right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Connection info on free loopback ports with a fresh random key, as jupyter_client would write it. */
export async function freshConnectionInfo(): Promise<ConnectionInfo> {
  const [shell, control, stdin, iopub, hb] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  return {
    transport: 'tcp',
    ip: '127.0.0.1',
    shell_port: shell!,
    control_port: control!,
    stdin_port: stdin!,
    iopub_port: iopub!,
    hb_port: hb!,
    key: randomBytes(16).toString('hex'),
    signature_scheme: 'hmac-sha256',
  };
}

/** A kernel process started from a connection file this module wrote. */
export interface LaunchedKernel {
  info: ConnectionInfo;
  connectionFile: string;
  process: ChildProcess;
  /** Everything the kernel wrote to stderr so far. */
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Starts `node <cliPath> kernel <connection file>` on fresh ports. */
export async function launchKernel(cliPath: string, env: NodeJS.ProcessEnv = process.env, info?: ConnectionInfo): Promise<LaunchedKernel> {
  const connection = info ?? (await freshConnectionInfo());
  const directory = await mkdtemp(join(tmpdir(), 'tsgrad-kernel-'));
  const connectionFile = join(directory, 'connection.json');
  await writeFile(connectionFile, JSON.stringify(connection));
  const child = spawn(process.execPath, [cliPath, 'kernel', connectionFile], { env, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { info: connection, connectionFile, process: child, stderr: () => stderr, exited };
}
