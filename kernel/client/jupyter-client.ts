import { randomUUID } from 'node:crypto';
import * as zmq from 'zeromq';
import { endpointFor, type ConnectionInfo } from '../transport/connection.js';
import type { JupyterMessage, MessageHeader } from '../transport/message.js';
import { SendQueue } from '../transport/send-queue.js';
import { decodeMessage, encodeMessage, MessageSigner, WireError } from '../transport/wire.js';

/** The channels a client sends requests on. */
export type RequestChannel = 'shell' | 'control';

/** Everything a request produced: its reply and the IOPub messages that named it as parent, up to `idle`. */
export interface RequestOutcome {
  reply: JupyterMessage;
  /** IOPub messages between `busy` and `idle`, status messages excluded. */
  iopub: JupyterMessage[];
  /** Every IOPub message for this request, status included, in arrival order. */
  allIopub: JupyterMessage[];
}

/** Options of one execute_request (the protocol's fields). */
export interface ExecuteRequestOptions {
  silent?: boolean;
  store_history?: boolean;
  allow_stdin?: boolean;
  stop_on_error?: boolean;
  user_expressions?: Record<string, string>;
}

/** How long one kernel_info probe waits before the next is sent, while connecting (ms). */
const READY_PROBE_MS = 200;

interface Pending {
  reply?: JupyterMessage;
  iopub: JupyterMessage[];
  idle: boolean;
  settle?: () => void;
  /** Rejects the waiter, if any, and stops its timer. */
  fail?: (error: Error) => void;
}

/**
 * A small Jupyter client over ZeroMQ, speaking to a kernel from its connection info: requests on shell and
 * control, IOPub collected per request, stdin input requests answered by a callback, heartbeat pings.
 */
export class JupyterClient {
  readonly session = randomUUID();
  private readonly signer: MessageSigner;
  private readonly pending = new Map<string, Pending>();
  private readonly readinessProbes = new Set<string>();
  /** IOPub messages with no pending request (late output, `starting`), oldest first. */
  readonly unclaimedIopub: JupyterMessage[] = [];
  /** Why messages from the kernel were refused (bad signature, bad framing), oldest first. */
  readonly droppedMessages: string[] = [];
  private readonly queues: Record<'shell' | 'control' | 'stdin', SendQueue>;
  private inputHandler: ((prompt: string, password: boolean) => string | Promise<string>) | null = null;
  private closed = false;

  private constructor(
    info: ConnectionInfo,
    private readonly sockets: { shell: zmq.Dealer; control: zmq.Dealer; stdin: zmq.Dealer; iopub: zmq.Subscriber },
  ) {
    this.signer = new MessageSigner(info.key, info.signature_scheme);
    this.queues = {
      shell: new SendQueue((frames) => sockets.shell.send(frames)),
      control: new SendQueue((frames) => sockets.control.send(frames)),
      stdin: new SendQueue((frames) => sockets.stdin.send(frames)),
    };
  }

  /** Connects to a kernel and waits until it answers kernel_info and its IOPub messages reach us. */
  static async connect(info: ConnectionInfo, readyTimeoutMs = 30_000): Promise<JupyterClient> {
    // Shell and stdin share an identity so the kernel can route input requests back to this client.
    const routingId = randomUUID();
    const options = { linger: 0, receiveHighWaterMark: 0, sendHighWaterMark: 0 };
    const sockets = {
      shell: new zmq.Dealer({ ...options, routingId }),
      control: new zmq.Dealer({ ...options }),
      stdin: new zmq.Dealer({ ...options, routingId }),
      iopub: new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 }),
    };
    sockets.iopub.subscribe();
    sockets.shell.connect(endpointFor(info, 'shell'));
    sockets.control.connect(endpointFor(info, 'control'));
    sockets.stdin.connect(endpointFor(info, 'stdin'));
    sockets.iopub.connect(endpointFor(info, 'iopub'));
    const client = new JupyterClient(info, sockets);
    void client.receive('shell');
    void client.receive('control');
    void client.receive('stdin');
    void client.receive('iopub');
    try {
      await client.waitForReady(readyTimeoutMs);
    } catch (error) {
      // Open sockets would keep the caller's process alive after it gave up on this kernel.
      client.close();
      throw error;
    }
    return client;
  }

  /** Answers the kernel's input requests with what `handler` returns. */
  onInputRequest(handler: (prompt: string, password: boolean) => string | Promise<string>): void {
    this.inputHandler = handler;
  }

  /** Sends a request and resolves with its reply and its IOPub messages once the kernel went idle for it. */
  async request(channel: RequestChannel, msgType: string, content: Record<string, unknown>, timeoutMs = 60_000): Promise<RequestOutcome> {
    const header = this.send(channel, msgType, content);
    return this.outcomeOf(header.msg_id, timeoutMs, msgType);
  }

  /** Sends a request without waiting; pass the returned msg_id to `outcomeOf`. */
  send(channel: RequestChannel | 'stdin', msgType: string, content: Record<string, unknown>, parent?: MessageHeader): MessageHeader {
    const header = this.header(msgType);
    if (channel !== 'stdin') this.pending.set(header.msg_id, { iopub: [], idle: false });
    void this.queues[channel].enqueue(
      encodeMessage({ identities: [], header, parent_header: parent ?? {}, metadata: {}, content }, this.signer),
    );
    return header;
  }

  /** Resolves once the request with this msg_id has its reply and its `idle` status (no time limit with Infinity). */
  outcomeOf(msgId: string, timeoutMs = 60_000, label = msgId): Promise<RequestOutcome> {
    const pending = this.pending.get(msgId);
    if (!pending) return Promise.reject(new Error(`no request ${msgId} was sent by this client`));
    return new Promise((resolve, reject) => {
      // A waiter that gave up must not consume a reply that arrives later: the next waiter takes it.
      const stopWaiting = (): void => {
        clearTimeout(timer);
        pending.settle = undefined;
        pending.fail = undefined;
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => pending.fail?.(new Error(`${label}: no reply and idle within ${timeoutMs} ms`)), timeoutMs)
        : undefined;
      pending.fail = (error) => {
        stopWaiting();
        reject(error);
      };
      pending.settle = () => {
        if (!pending.reply || !pending.idle) return;
        stopWaiting();
        this.pending.delete(msgId);
        const allIopub = pending.iopub;
        resolve({ reply: pending.reply, allIopub, iopub: allIopub.filter((message) => message.header.msg_type !== 'status') });
      };
      pending.settle();
    });
  }

  /** Runs code and resolves with the execute_reply and the cell's outputs. */
  execute(code: string, options: ExecuteRequestOptions = {}, timeoutMs = 60_000): Promise<RequestOutcome> {
    return this.request(
      'shell',
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: this.inputHandler !== null, stop_on_error: true, ...options },
      timeoutMs,
    );
  }

  /** Round-trips bytes through the heartbeat socket on a fresh REQ socket; resolves with the time taken (ms). */
  static async ping(info: ConnectionInfo, timeoutMs = 5000): Promise<number> {
    const socket = new zmq.Request({ linger: 0, receiveTimeout: timeoutMs });
    socket.connect(endpointFor(info, 'hb'));
    try {
      const started = performance.now();
      await socket.send('ping');
      const [echo] = await socket.receive();
      if (echo?.toString() !== 'ping') throw new Error('heartbeat echoed something else');
      return performance.now() - started;
    } finally {
      socket.close();
    }
  }

  /** Closes every socket; requests still waiting for their reply are rejected. */
  close(): void {
    this.closed = true;
    for (const [msgId, pending] of this.pending) pending.fail?.(new Error(`${msgId}: the client was closed before the reply and idle came`));
    this.pending.clear();
    for (const socket of Object.values(this.sockets)) socket.close();
  }

  private async waitForReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // IOPub subscriptions take a moment to reach the kernel, so ask until the `idle` for one of our requests
    // arrives; the messages of unanswered probes are then ignored rather than reported as unclaimed.
    while (Date.now() < deadline) {
      const header = this.send('shell', 'kernel_info_request', {});
      this.readinessProbes.add(header.msg_id);
      try {
        await this.outcomeOf(header.msg_id, READY_PROBE_MS, 'kernel_info_request');
        return;
      } catch {
        this.pending.delete(header.msg_id);
      }
    }
    throw new Error(`kernel not ready within ${timeoutMs} ms`);
  }

  private async receive(channel: 'shell' | 'control' | 'stdin' | 'iopub'): Promise<void> {
    try {
      for await (const frames of this.sockets[channel]) {
        let message: JupyterMessage;
        try {
          message = decodeMessage(frames, this.signer);
        } catch (error) {
          if (!(error instanceof WireError)) throw error;
          this.droppedMessages.push(`${channel}: ${error.message}`);
          continue;
        }
        if (channel === 'iopub') this.takeIopub(message);
        else if (channel === 'stdin') await this.answerInput(message);
        else this.takeReply(message);
      }
    } catch (error) {
      if (!this.closed) throw error;
    }
  }

  private takeReply(message: JupyterMessage): void {
    const pending = this.pending.get(String(message.parent_header.msg_id));
    if (!pending) return;
    pending.reply = message;
    pending.settle?.();
  }

  private takeIopub(message: JupyterMessage): void {
    const parentId = String(message.parent_header.msg_id);
    const pending = this.pending.get(parentId);
    if (!pending) {
      if (!this.readinessProbes.has(parentId)) this.unclaimedIopub.push(message);
      return;
    }
    pending.iopub.push(message);
    if (message.header.msg_type === 'status' && message.content.execution_state === 'idle') {
      pending.idle = true;
      pending.settle?.();
    }
  }

  private async answerInput(message: JupyterMessage): Promise<void> {
    if (message.header.msg_type !== 'input_request' || !this.inputHandler) return;
    const value = await this.inputHandler(String(message.content.prompt ?? ''), message.content.password === true);
    this.send('stdin', 'input_reply', { value }, message.header);
  }

  private header(msgType: string): MessageHeader {
    return {
      msg_id: randomUUID(),
      session: this.session,
      username: 'tsgrad-client',
      date: new Date().toISOString(),
      msg_type: msgType,
      version: '5.3',
    };
  }
}
