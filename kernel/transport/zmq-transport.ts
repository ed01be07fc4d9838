import * as zmq from 'zeromq';
import { endpointFor, PORT_FIELDS, type ConnectionInfo, type SocketName } from './connection.js';
import type { Channel, JupyterMessage } from './message.js';
import { SendQueue } from './send-queue.js';
import { decodeMessage, encodeMessage, MessageSigner, WireError, type OutgoingMessage } from './wire.js';

/** Receives every authenticated message, tagged with the channel it came on. */
export type MessageHandler = (channel: Channel, message: JupyterMessage) => void;

/** Options of a bound transport. */
export interface TransportOptions {
  /** Where dropped messages and socket failures are reported; stderr by default. */
  log?: (line: string) => void;
}

type RoutedChannel = Exclude<Channel, 'iopub'>;

/** How long closing sockets may wait for queued messages to leave (ms). */
const CLOSE_LINGER_MS = 2000;

/**
 * The kernel's five ZeroMQ sockets, bound from a connection file: signed, framed messages in and out,
 * one send queue per socket, and a heartbeat that echoes without involving the rest of the kernel.
 */
export class ZmqTransport {
  private handler: MessageHandler | null = null;
  private readonly early: [RoutedChannel, JupyterMessage][] = [];
  private readonly queues: Record<Channel, SendQueue>;
  private closed = false;

  private constructor(
    /** The connection info as bound: ports given as 0 replaced by the ones chosen. */
    readonly info: ConnectionInfo,
    private readonly signer: MessageSigner,
    private readonly routers: Record<RoutedChannel, zmq.Router>,
    private readonly iopub: zmq.Publisher,
    private readonly heartbeat: zmq.Reply,
    private readonly log: (line: string) => void,
  ) {
    this.queues = {
      shell: new SendQueue((frames) => routers.shell.send(frames)),
      control: new SendQueue((frames) => routers.control.send(frames)),
      stdin: new SendQueue((frames) => routers.stdin.send(frames)),
      iopub: new SendQueue((frames) => iopub.send(frames)),
    };
  }

  /** Binds all five sockets at the addresses the connection file names and starts receiving. */
  static async bind(info: ConnectionInfo, options: TransportOptions = {}): Promise<ZmqTransport> {
    const log = options.log ?? ((line: string) => process.stderr.write(`[tsgrad] ${line}\n`));
    const signer = new MessageSigner(info.key, info.signature_scheme);
    // A high-water mark of 0 means no limit: ZeroMQ would otherwise drop IOPub messages under load.
    const socketOptions = { sendHighWaterMark: 0, receiveHighWaterMark: 0, linger: CLOSE_LINGER_MS };
    const routers = {
      shell: new zmq.Router({ ...socketOptions }),
      control: new zmq.Router({ ...socketOptions }),
      stdin: new zmq.Router({ ...socketOptions }),
    };
    const iopub = new zmq.Publisher({ sendHighWaterMark: 0, linger: CLOSE_LINGER_MS });
    const heartbeat = new zmq.Reply({ linger: 0 });
    const sockets: Record<SocketName, zmq.Socket> = { ...routers, iopub, hb: heartbeat };
    const bound = { ...info };
    await Promise.all(
      (Object.keys(sockets) as SocketName[]).map(async (name) => {
        const socket = sockets[name];
        await socket.bind(endpointFor(info, name, true));
        if (info.transport === 'tcp' && info[PORT_FIELDS[name]] === 0) {
          // Port 0 asks for any free port, as ipykernel allows; the caller writes the chosen ones back.
          bound[PORT_FIELDS[name]] = Number(/:(\d+)$/.exec(socket.lastEndpoint ?? '')?.[1]);
        }
      }),
    );
    const transport = new ZmqTransport(bound, signer, routers, iopub, heartbeat, log);
    for (const channel of Object.keys(routers) as RoutedChannel[]) void transport.receiveLoop(channel);
    void transport.echoHeartbeats();
    return transport;
  }

  /** Sets the function that receives incoming messages, first handing it those that arrived before. */
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
    for (const [channel, message] of this.early.splice(0)) this.dispatch(channel, message);
  }

  /** Signs, frames and queues a message; on IOPub an empty identity list becomes a `kernel.<session>.<type>` topic. */
  send(channel: Channel, message: OutgoingMessage): Promise<void> {
    const identities =
      channel === 'iopub' && message.identities.length === 0
        ? [Buffer.from(`kernel.${message.header.session}.${message.header.msg_type}`)]
        : message.identities;
    return this.queues[channel].enqueue(encodeMessage({ ...message, identities }, this.signer)).catch((error: unknown) => {
      this.log(`failed to send ${message.header.msg_type} on ${channel}: ${String(error)}`);
      throw error;
    });
  }

  /** Waits until everything queued so far has been handed to ZeroMQ. */
  async drain(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((queue) => queue.drain()));
  }

  /** Flushes the queues and closes every socket (lingering briefly so the last replies leave). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    for (const socket of [...Object.values(this.routers), this.iopub, this.heartbeat]) socket.close();
  }

  private async receiveLoop(channel: RoutedChannel): Promise<void> {
    try {
      for await (const frames of this.routers[channel]) {
        let message: JupyterMessage;
        try {
          message = decodeMessage(frames, this.signer);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.log(`dropped a message on ${channel}: ${error.message}`);
          continue;
        }
        this.dispatch(channel, message);
      }
    } catch (error) {
      if (!this.closed) this.log(`${channel} socket stopped receiving: ${String(error)}`);
    }
  }

  private dispatch(channel: RoutedChannel, message: JupyterMessage): void {
    if (!this.handler) {
      // Clients may send as soon as the sockets are bound, before the kernel is wired up.
      this.early.push([channel, message]);
      return;
    }
    try {
      this.handler(channel, message);
    } catch (error) {
      // One faulty message must not stop the socket from receiving the next.
      this.log(`handler failed on ${message.header.msg_type} (${channel}): ${error instanceof Error ? error.stack : String(error)}`);
    }
  }

  private async echoHeartbeats(): Promise<void> {
    try {
      for await (const frames of this.heartbeat) await this.heartbeat.send(frames);
    } catch (error) {
      if (!this.closed) this.log(`heartbeat socket stopped: ${String(error)}`);
    }
  }
}
