import { readFile } from 'node:fs/promises';

/** The fields of a Jupyter connection file this kernel uses. */
export interface ConnectionInfo {
  transport: 'tcp' | 'ipc';
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

/** The five sockets a kernel binds. */
export type SocketName = 'shell' | 'control' | 'stdin' | 'iopub' | 'hb';

/** The connection-file field holding each socket's port. */
export const PORT_FIELDS = {
  shell: 'shell_port',
  control: 'control_port',
  stdin: 'stdin_port',
  iopub: 'iopub_port',
  hb: 'hb_port',
} as const satisfies Record<SocketName, keyof ConnectionInfo>;

/** Reads and checks a connection file written by jupyter_client (or any launcher following its format). */
export async function readConnectionFile(path: string): Promise<ConnectionInfo> {
  const raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  return parseConnectionInfo(raw);
}

/** Validates a parsed connection file, filling the defaults jupyter_client would. */
export function parseConnectionInfo(raw: Record<string, unknown>): ConnectionInfo {
  const transport = raw.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'ipc') {
    throw new Error(`Unsupported transport ${JSON.stringify(transport)} in connection file (expected "tcp" or "ipc")`);
  }
  const ports = {} as Record<SocketName, number>;
  for (const [name, field] of Object.entries(PORT_FIELDS) as [SocketName, string][]) {
    const port = raw[field];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0) {
      throw new Error(`Connection file field ${field} must be a port number, got ${JSON.stringify(port)}`);
    }
    ports[name] = port;
  }
  return {
    transport,
    ip: typeof raw.ip === 'string' && raw.ip !== '' ? raw.ip : transport === 'tcp' ? '127.0.0.1' : 'kernel-ipc',
    shell_port: ports.shell,
    control_port: ports.control,
    stdin_port: ports.stdin,
    iopub_port: ports.iopub,
    hb_port: ports.hb,
    key: typeof raw.key === 'string' ? raw.key : '',
    signature_scheme: typeof raw.signature_scheme === 'string' ? raw.signature_scheme : 'hmac-sha256',
  };
}

/**
 * The ZeroMQ endpoint of one socket, spelled as jupyter_client spells it (`ipc://<ip>-<port>` for ipc).
 * For binding, a tcp port of 0 becomes `*` (any free port).
 */
export function endpointFor(info: ConnectionInfo, socket: SocketName, forBinding = false): string {
  const port = info[PORT_FIELDS[socket]];
  if (info.transport === 'ipc') return `ipc://${info.ip}-${port}`;
  return `tcp://${info.ip}:${forBinding && port === 0 ? '*' : port}`;
}
