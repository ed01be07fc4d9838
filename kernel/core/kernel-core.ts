import { randomUUID } from 'node:crypto';
import type { Channel, JupyterMessage, MessageHeader } from '../transport/message.js';
import type { OutgoingMessage } from '../transport/wire.js';
import { History, type HistoryQuery } from './history.js';
import type { ErrorContent, ExecuteOutcome, ExecutionSink, Interpreter, MimeBundle } from './interpreter.js';

/** The protocol version this kernel speaks. */
export const PROTOCOL_VERSION = '5.3';

/** What the core needs from a transport: send a message on a channel. */
export interface MessageTransport {
  send(channel: Channel, message: OutgoingMessage): Promise<void>;
}

/** Everything the core is built from. */
export interface KernelCoreOptions {
  interpreter: Interpreter;
  transport: MessageTransport;
  history?: History;
  /** Called once a shutdown_request has been answered; the caller decides whether the process ends. */
  onShutdown?: (restart: boolean) => void;
  /** Where protocol problems (unknown message types, unknown comms) are reported. */
  log?: (line: string) => void;
}

type Content = Record<string, unknown>;
type Handler = (request: JupyterMessage, channel: Channel) => Promise<void>;

/** The error a cell sees when it asks for input the client cannot give (ipykernel's wording). */
function stdinNotAllowed(): Error {
  const error = new Error('raw_input was called, but this frontend does not support input requests.');
  error.name = 'StdinNotImplementedError';
  return error;
}

/** The error a pending input request ends with when the cell is interrupted. */
function inputInterrupted(): Error {
  const error = new Error('Interrupted while waiting for input');
  error.name = 'KeyboardInterrupt';
  return error;
}

/**
 * The kernel's message logic (messaging protocol 5.3): status around every request, cells run one at a
 * time in arrival order, control answered at once, outputs published with the right parent.
 * It knows nothing of sockets or of the language the cells are written in.
 */
export class KernelCore {
  /** The kernel's session id, stamped on every message it sends. */
  readonly session = randomUUID();
  private readonly interpreter: Interpreter;
  private readonly transport: MessageTransport;
  private readonly history: History;
  private readonly log: (line: string) => void;
  private readonly onShutdown: (restart: boolean) => void;
  private readonly username = process.env.USER ?? 'kernel';
  private executionCount = 0;
  private readonly shellQueue: JupyterMessage[] = [];
  private shellBusy = false;
  private readonly abortedRequests = new WeakSet<JupyterMessage>();
  /** The latest execute_request: late output (timers) of any cell is published under it. */
  private lastExecute: JupyterMessage | null = null;
  private pendingInput: { resolve(value: string): void; reject(error: Error): void } | null = null;
  private readonly shellHandlers: Record<string, Handler>;
  private readonly controlHandlers: Record<string, Handler>;

  constructor(options: KernelCoreOptions) {
    this.interpreter = options.interpreter;
    this.transport = options.transport;
    this.history = options.history ?? new History();
    this.log = options.log ?? ((line) => process.stderr.write(`[tsgrad] ${line}\n`));
    this.onShutdown = options.onShutdown ?? (() => undefined);
    const common: Record<string, Handler> = {
      kernel_info_request: (request, channel) => this.kernelInfo(request, channel),
      shutdown_request: (request, channel) => this.shutdown(request, channel),
      interrupt_request: (request, channel) => this.interruptRequest(request, channel),
    };
    this.controlHandlers = common;
    this.shellHandlers = {
      ...common,
      execute_request: (request) => this.execute(request),
      complete_request: (request) => this.complete(request),
      inspect_request: (request) => this.inspect(request),
      is_complete_request: (request) => this.isComplete(request),
      history_request: (request) => this.historyRequest(request),
      comm_info_request: (request) => this.commInfo(request),
      comm_open: (request) => this.commOpen(request),
      comm_msg: (request) => this.commUnknown(request),
      comm_close: (request) => this.commUnknown(request),
    };
  }

  /** Announces the kernel on IOPub (`starting`, sent once). */
  async start(): Promise<void> {
    await this.publishStatus('starting', null);
  }

  /** Takes one incoming message: shell requests queue, control requests and stdin replies act at once. */
  handle(channel: Channel, message: JupyterMessage): void {
    if (channel === 'shell') {
      this.shellQueue.push(message);
      void this.processShellQueue();
    } else if (channel === 'control') {
      void this.dispatch(message, channel, this.controlHandlers);
    } else if (channel === 'stdin') {
      this.inputReply(message);
    } else {
      this.log(`ignored ${message.header.msg_type} received on ${channel}`);
    }
  }

  /** Interrupts the running cell (SIGINT and interrupt_request both land here). */
  interrupt(): void {
    this.pendingInput?.reject(inputInterrupted());
    this.pendingInput = null;
    this.interpreter.interrupt();
  }

  private async processShellQueue(): Promise<void> {
    if (this.shellBusy) return;
    this.shellBusy = true;
    try {
      for (let request = this.shellQueue.shift(); request; request = this.shellQueue.shift()) {
        if (this.abortedRequests.has(request)) await this.abort(request);
        else await this.dispatch(request, 'shell', this.shellHandlers);
      }
    } finally {
      this.shellBusy = false;
    }
  }

  private async dispatch(request: JupyterMessage, channel: Channel, handlers: Record<string, Handler>): Promise<void> {
    void this.publishStatus('busy', request);
    const handler = handlers[request.header.msg_type];
    try {
      if (handler) await handler(request, channel);
      else this.log(`unknown message type ${JSON.stringify(request.header.msg_type)} on ${channel}`);
    } catch (error) {
      this.log(`failed to handle ${request.header.msg_type}: ${error instanceof Error ? error.stack : String(error)}`);
    } finally {
      void this.publishStatus('idle', request);
    }
  }

  private async abort(request: JupyterMessage): Promise<void> {
    void this.publishStatus('busy', request);
    void this.reply(request, 'shell', { status: 'aborted' }, { status: 'aborted' });
    void this.publishStatus('idle', request);
  }

  // ---- execution ----

  private async execute(request: JupyterMessage): Promise<void> {
    const content = request.content;
    const code = typeof content.code === 'string' ? content.code : '';
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const allowStdin = content.allow_stdin !== false;
    const stopOnError = content.stop_on_error !== false;
    const userExpressions = isRecord(content.user_expressions) ? (content.user_expressions as Record<string, string>) : {};

    this.lastExecute = request;
    if (storeHistory) this.executionCount += 1;
    const executionCount = this.executionCount;
    if (!silent) void this.publish('execute_input', { code, execution_count: executionCount }, request);

    let running = true;
    const sink = this.sinkFor(allowStdin, () => running);
    let outcome: ExecuteOutcome;
    try {
      const help = helpQuery(code);
      outcome = help
        ? await this.pageHelp(help, sink)
        : await this.interpreter.execute(code, sink, { silent, storeHistory, allowStdin, userExpressions });
    } catch (error) {
      outcome = { status: 'error', ...errorContent(error) };
    } finally {
      running = false;
      this.pendingInput?.reject(stdinNotAllowed());
      this.pendingInput = null;
    }

    if (outcome.status === 'ok') {
      const result = outcome.result;
      const data = result ? withPlainText(result.data) : null;
      if (storeHistory) this.history.add(executionCount, code, typeof data?.['text/plain'] === 'string' ? data['text/plain'] : null);
      if (result && data && !silent) {
        void this.publish('execute_result', { execution_count: executionCount, data, metadata: result.metadata }, request);
      }
      void this.reply(request, 'shell', {
        status: 'ok',
        execution_count: executionCount,
        user_expressions: outcome.userExpressions,
        payload: outcome.payload ?? [],
      });
      return;
    }

    if (storeHistory) this.history.add(executionCount, code, null);
    const error: ErrorContent = { ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback };
    void this.publish('error', { ...error }, request);
    // Marked before the reply goes out: a request the client sends once it has seen the error must run.
    if (stopOnError && !silent) await this.abortQueuedExecutes();
    void this.reply(request, 'shell', { status: 'error', execution_count: executionCount, ...error, user_expressions: {}, payload: [] });
  }

  /** IPython's `name?` / `name??`: the interpreter's inspection of the name, shown in the client's pager. */
  private async pageHelp(help: { expression: string; detailLevel: number }, sink: ExecutionSink): Promise<ExecuteOutcome> {
    const found = await this.interpreter.inspect(help.expression, [...help.expression].length, help.detailLevel);
    if (!found.found) {
      sink.stream('stdout', `Object \`${help.expression}\` not found.\n`);
      return { status: 'ok', userExpressions: {} };
    }
    return { status: 'ok', userExpressions: {}, payload: [{ source: 'page', data: found.data, start: 0 }] };
  }

  /** After a failed cell, every execute_request already received is answered `aborted` instead of run. */
  private async abortQueuedExecutes(): Promise<void> {
    // One turn of the event loop lets requests already read off the socket join the queue.
    await new Promise((resolve) => setImmediate(resolve));
    for (const queued of this.shellQueue) {
      if (queued.header.msg_type === 'execute_request') this.abortedRequests.add(queued);
    }
  }

  private sinkFor(allowStdin: boolean, isRunning: () => boolean): ExecutionSink {
    const parent = () => this.lastExecute;
    return {
      stream: (name, text) => void this.publish('stream', { name, text }, parent()),
      display: (bundle, metadata, transient, update) =>
        void this.publish(update ? 'update_display_data' : 'display_data', { data: bundle, metadata, transient }, parent()),
      clearOutput: (wait) => void this.publish('clear_output', { wait }, parent()),
      input: (prompt, password) => {
        const request = parent();
        if (!allowStdin || !isRunning() || !request || this.pendingInput) return Promise.reject(stdinNotAllowed());
        return new Promise<string>((resolve, reject) => {
          this.pendingInput = { resolve, reject };
          void this.send('stdin', 'input_request', { prompt, password }, request, request.identities);
        });
      },
    };
  }

  private inputReply(message: JupyterMessage): void {
    if (message.header.msg_type !== 'input_reply' || !this.pendingInput) {
      this.log(`ignored ${message.header.msg_type} on stdin: no input was requested`);
      return;
    }
    const value = message.content.value;
    this.pendingInput.resolve(typeof value === 'string' ? value : '');
    this.pendingInput = null;
  }

  // ---- introspection ----

  private async kernelInfo(request: JupyterMessage, channel: Channel): Promise<void> {
    const interpreter = this.interpreter;
    await this.reply(request, channel, {
      status: 'ok',
      protocol_version: PROTOCOL_VERSION,
      implementation: interpreter.implementation,
      implementation_version: interpreter.implementationVersion,
      language_info: interpreter.languageInfo,
      banner: interpreter.banner,
      help_links: interpreter.helpLinks,
      debugger: false,
    });
  }

  private async complete(request: JupyterMessage): Promise<void> {
    const code = stringField(request.content, 'code');
    const cursorPos = numberField(request.content, 'cursor_pos', [...code].length);
    await this.replyFrom(request, async () => ({ status: 'ok', ...(await this.interpreter.complete(code, cursorPos)) }));
  }

  private async inspect(request: JupyterMessage): Promise<void> {
    const code = stringField(request.content, 'code');
    const cursorPos = numberField(request.content, 'cursor_pos', [...code].length);
    const detailLevel = numberField(request.content, 'detail_level', 0);
    await this.replyFrom(request, async () => ({ status: 'ok', ...(await this.interpreter.inspect(code, cursorPos, detailLevel)) }));
  }

  private async isComplete(request: JupyterMessage): Promise<void> {
    const code = stringField(request.content, 'code');
    await this.replyFrom(request, async () => {
      const result = await this.interpreter.isComplete(code);
      return result.status === 'incomplete' ? { status: 'incomplete', indent: result.indent ?? '' } : { status: result.status };
    });
  }

  private async historyRequest(request: JupyterMessage): Promise<void> {
    const content = request.content;
    const withOutput = content.output === true;
    let query: HistoryQuery;
    switch (content.hist_access_type) {
      case 'range':
        query = {
          kind: 'range',
          session: numberField(content, 'session', 0),
          start: numberField(content, 'start', 1),
          stop: typeof content.stop === 'number' ? content.stop : null,
        };
        break;
      case 'search':
        query = {
          kind: 'search',
          pattern: typeof content.pattern === 'string' ? content.pattern : '*',
          n: typeof content.n === 'number' ? content.n : null,
          unique: content.unique === true,
        };
        break;
      default:
        query = { kind: 'tail', n: numberField(content, 'n', 10) };
    }
    await this.reply(request, 'shell', { status: 'ok', history: this.history.query(query, withOutput) });
  }

  // ---- comms: no targets are registered, so every comm is refused as ipykernel refuses unknown targets ----

  private async commInfo(request: JupyterMessage): Promise<void> {
    await this.reply(request, 'shell', { status: 'ok', comms: {} });
  }

  private async commOpen(request: JupyterMessage): Promise<void> {
    const commId = stringField(request.content, 'comm_id');
    this.log(`no such comm target registered: ${stringField(request.content, 'target_name')}`);
    await this.publish('comm_close', { comm_id: commId, data: {} }, request);
  }

  private async commUnknown(request: JupyterMessage): Promise<void> {
    this.log(`no such comm: ${stringField(request.content, 'comm_id')}`);
  }

  // ---- control ----

  private async interruptRequest(request: JupyterMessage, channel: Channel): Promise<void> {
    this.interrupt();
    await this.reply(request, channel, { status: 'ok' });
  }

  private async shutdown(request: JupyterMessage, channel: Channel): Promise<void> {
    const restart = request.content.restart === true;
    this.interrupt();
    try {
      await this.interpreter.shutdown(restart);
    } catch (error) {
      this.log(`interpreter shutdown failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
    if (restart) {
      this.executionCount = 0;
      this.lastExecute = null;
      this.history.newSession();
    }
    const content = { status: 'ok', restart };
    await Promise.all([this.reply(request, channel, content), this.publish('shutdown_reply', content, request)]);
    this.onShutdown(restart);
  }

  // ---- sending ----

  /** Replies with what `produce` returns, or with an error reply when it throws. */
  private async replyFrom(request: JupyterMessage, produce: () => Promise<Content>): Promise<void> {
    let content: Content;
    try {
      content = await produce();
    } catch (error) {
      content = { status: 'error', ...errorContent(error) };
    }
    await this.reply(request, 'shell', content);
  }

  private reply(request: JupyterMessage, channel: Channel, content: Content, metadata: Content = {}): Promise<void> {
    const replyType = request.header.msg_type.replace(/_request$/, '_reply');
    return this.send(channel, replyType, content, request, request.identities, metadata);
  }

  private publishStatus(state: 'starting' | 'busy' | 'idle', parent: JupyterMessage | null): Promise<void> {
    return this.publish('status', { execution_state: state }, parent);
  }

  private publish(msgType: string, content: Content, parent: JupyterMessage | null): Promise<void> {
    return this.send('iopub', msgType, content, parent, []);
  }

  private send(
    channel: Channel,
    msgType: string,
    content: Content,
    parent: JupyterMessage | null,
    identities: Buffer[],
    metadata: Content = {},
  ): Promise<void> {
    return this.transport
      .send(channel, {
        identities,
        header: this.header(msgType),
        parent_header: parent ? parent.header : {},
        metadata,
        content,
      })
      .catch((error: unknown) => this.log(`could not send ${msgType}: ${String(error)}`));
  }

  private header(msgType: string): MessageHeader {
    return {
      msg_id: randomUUID(),
      session: this.session,
      username: this.username,
      date: new Date().toISOString(),
      msg_type: msgType,
      version: PROTOCOL_VERSION,
    };
  }
}

/** A dotted name such as `torch.nn.Linear`, the only thing IPython's `?` syntax looks up. */
const DOTTED_NAME = '[\\p{ID_Start}_$][\\p{ID_Continue}$\\u200c\\u200d]*(?:\\.[\\p{ID_Start}_$][\\p{ID_Continue}$\\u200c\\u200d]*)*';
const HELP_BEFORE = new RegExp(`^\\s*(\\?{1,2})\\s*(${DOTTED_NAME})\\s*$`, 'u');
const HELP_AFTER = new RegExp(`^\\s*(${DOTTED_NAME})\\s*(\\?{1,2})\\s*$`, 'u');

/**
 * Recognises a help request on a dotted name, `?name`, `name?` or with `??` for more detail, as IPython does.
 * Such a line is not valid code in the kernel's language, so no cell is taken from the interpreter.
 */
export function helpQuery(code: string): { expression: string; detailLevel: number } | null {
  const before = HELP_BEFORE.exec(code);
  if (before) return { expression: before[2]!, detailLevel: before[1]!.length - 1 };
  const after = HELP_AFTER.exec(code);
  if (after) return { expression: after[1]!, detailLevel: after[2]!.length - 1 };
  return null;
}

/** An execute_result always carries text/plain; a bundle without it gets a short description. */
function withPlainText(data: MimeBundle): MimeBundle {
  if (typeof data['text/plain'] === 'string') return data;
  return { ...data, 'text/plain': `<${Object.keys(data).join(', ') || 'empty'} output>` };
}

function errorContent(error: unknown): ErrorContent {
  if (error instanceof Error) {
    return { ename: error.name, evalue: error.message, traceback: (error.stack ?? `${error.name}: ${error.message}`).split('\n') };
  }
  return { ename: 'Error', evalue: String(error), traceback: [String(error)] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(content: Content, field: string): string {
  const value = content[field];
  return typeof value === 'string' ? value : '';
}

function numberField(content: Content, field: string, fallback: number): number {
  const value = content[field];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}
