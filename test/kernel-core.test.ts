import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { History, globToRegExp } from '../kernel/core/history.js';
import { helpQuery, KernelCore, type MessageTransport } from '../kernel/core/kernel-core.js';
import type { Channel, JupyterMessage } from '../kernel/transport/message.js';
import type { OutgoingMessage } from '../kernel/transport/wire.js';
import { FakeInterpreter } from './helpers/fake-interpreter.js';

interface Sent {
  channel: Channel;
  message: OutgoingMessage;
}

/** Records what the core sends and lets tests wait for the `idle` of a request. */
class RecordingTransport implements MessageTransport {
  readonly sent: Sent[] = [];
  private waiters: (() => void)[] = [];

  async send(channel: Channel, message: OutgoingMessage): Promise<void> {
    this.sent.push({ channel, message });
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Messages (in order) whose parent is the given request. */
  childrenOf(request: JupyterMessage): Sent[] {
    return this.sent.filter((entry) => entry.message.parent_header.msg_id === request.header.msg_id);
  }

  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((wake) => this.waiters.push(wake));
  }

  async idleOf(request: JupyterMessage): Promise<Sent[]> {
    const isIdle = (entry: Sent) => entry.message.header.msg_type === 'status' && entry.message.content.execution_state === 'idle';
    await this.until(() => this.childrenOf(request).some(isIdle));
    return this.childrenOf(request);
  }
}

function request(msgType: string, content: Record<string, unknown> = {}): JupyterMessage {
  return {
    identities: [Buffer.from('client-identity')],
    header: { msg_id: randomUUID(), session: 'client', username: 'test', date: new Date().toISOString(), msg_type: msgType, version: '5.3' },
    parent_header: {},
    metadata: {},
    content,
    buffers: [],
  };
}

function execute(code: string, options: Record<string, unknown> = {}): JupyterMessage {
  return request('execute_request', { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...options });
}

function setup(history?: History) {
  const transport = new RecordingTransport();
  const interpreter = new FakeInterpreter();
  const shutdowns: boolean[] = [];
  const logs: string[] = [];
  const core = new KernelCore({ interpreter, transport, history, onShutdown: (restart) => shutdowns.push(restart), log: (line) => logs.push(line) });
  return { transport, interpreter, core, shutdowns, logs };
}

const summary = (entries: Sent[]) =>
  entries.map(({ channel, message }) =>
    message.header.msg_type === 'status' ? `${channel}:status:${message.content.execution_state}` : `${channel}:${message.header.msg_type}`,
  );

async function run(kernel: ReturnType<typeof setup>, message: JupyterMessage, channel: Channel = 'shell'): Promise<Sent[]> {
  kernel.core.handle(channel, message);
  return kernel.transport.idleOf(message);
}

const replyOf = (entries: Sent[]) => entries.find((entry) => entry.message.header.msg_type.endsWith('_reply'))!.message;

describe('kernel core', () => {
  it('publishes starting once, with no parent', async () => {
    const kernel = setup();
    await kernel.core.start();
    expect(kernel.transport.sent).toHaveLength(1);
    expect(kernel.transport.sent[0]!.channel).toBe('iopub');
    expect(kernel.transport.sent[0]!.message.content).toEqual({ execution_state: 'starting' });
    expect(kernel.transport.sent[0]!.message.parent_header).toEqual({});
  });

  it('answers kernel_info on shell and control with the protocol version and language info', async () => {
    const kernel = setup();
    for (const channel of ['shell', 'control'] as const) {
      const info = request('kernel_info_request');
      const sent = await run(kernel, info, channel);
      expect(summary(sent)).toEqual(['iopub:status:busy', `${channel}:kernel_info_reply`, 'iopub:status:idle']);
      const reply = replyOf(sent);
      expect(reply.identities).toEqual(info.identities);
      expect(reply.header.version).toBe('5.3');
      expect(reply.header.session).toBe(kernel.core.session);
      expect(reply.content).toMatchObject({
        status: 'ok',
        protocol_version: '5.3',
        implementation: 'tsgrad',
        banner: 'fake interpreter',
        debugger: false,
        language_info: { name: 'typescript', mimetype: 'text/typescript', file_extension: '.ts', codemirror_mode: 'typescript', pygments_lexer: 'typescript' },
      });
    }
  });

  it('runs a cell: busy, execute_input, outputs, execute_result, reply, idle, all parented to the request', async () => {
    const kernel = setup();
    const cell = execute('print hello\neprint oops\ndisplay text/html <b>x</b>\nshow d1 one\nupdate d1 two\nclear\nwait\nresult 42');
    const sent = await run(kernel, cell);
    expect(summary(sent)).toEqual([
      'iopub:status:busy',
      'iopub:execute_input',
      'iopub:stream',
      'iopub:stream',
      'iopub:display_data',
      'iopub:display_data',
      'iopub:update_display_data',
      'iopub:clear_output',
      'iopub:clear_output',
      'iopub:execute_result',
      'shell:execute_reply',
      'iopub:status:idle',
    ]);
    const contents = sent.map((entry) => entry.message.content);
    expect(contents[1]).toEqual({ code: cell.content.code, execution_count: 1 });
    expect(contents[2]).toEqual({ name: 'stdout', text: 'hello\n' });
    expect(contents[3]).toEqual({ name: 'stderr', text: 'oops\n' });
    expect(contents[4]).toEqual({ data: { 'text/html': '<b>x</b>', 'text/plain': '<b>x</b>' }, metadata: {}, transient: {} });
    expect(contents[6]).toEqual({ data: { 'text/plain': 'two' }, metadata: {}, transient: { display_id: 'd1' } });
    expect(contents[7]).toEqual({ wait: false });
    expect(contents[8]).toEqual({ wait: true });
    expect(contents[9]).toEqual({ execution_count: 1, data: { 'text/plain': '42' }, metadata: {} });
    expect(contents[10]).toEqual({ status: 'ok', execution_count: 1, user_expressions: {}, payload: [] });
  });

  it('counts executions, evaluates user_expressions, and leaves the count alone for silent and no-history cells', async () => {
    const kernel = setup();
    await run(kernel, execute('result a'));
    const silent = await run(kernel, execute('result b\nprint quiet', { silent: true }));
    expect(summary(silent)).toEqual(['iopub:status:busy', 'iopub:stream', 'shell:execute_reply', 'iopub:status:idle']);
    expect(replyOf(silent).content.execution_count).toBe(1);
    const unstored = await run(kernel, execute('result c', { store_history: false }));
    expect(replyOf(unstored).content.execution_count).toBe(1);
    expect(unstored[1]!.message.content).toEqual({ code: 'result c', execution_count: 1 });
    const withExpressions = await run(kernel, execute('result d', { user_expressions: { x: 'abc' } }));
    expect(replyOf(withExpressions).content).toEqual({
      status: 'ok',
      execution_count: 2,
      user_expressions: { x: { status: 'ok', data: { 'text/plain': 'ABC' }, metadata: {} } },
      payload: [],
    });
  });

  it('passes the interpreter\'s payloads (the pager) into execute_reply', async () => {
    const kernel = setup();
    const reply = replyOf(await run(kernel, execute('page some help')));
    expect(reply.content.payload).toEqual([{ source: 'page', data: { 'text/plain': 'some help' }, start: 0 }]);
  });

  it('answers IPython-style `name?` with the inspection in the pager, and says when the name is unknown', async () => {
    const kernel = setup();
    const found = await run(kernel, execute('print?'));
    expect(summary(found)).toEqual(['iopub:status:busy', 'iopub:execute_input', 'shell:execute_reply', 'iopub:status:idle']);
    expect(replyOf(found).content).toMatchObject({
      status: 'ok',
      execution_count: 1,
      payload: [{ source: 'page', data: { 'text/plain': 'print: writes to stdout' }, start: 0 }],
    });
    const missing = await run(kernel, execute('??nothing.here'));
    expect(missing.find((entry) => entry.message.header.msg_type === 'stream')!.message.content).toEqual({
      name: 'stdout',
      text: 'Object `nothing.here` not found.\n',
    });
    expect(replyOf(missing).content).toMatchObject({ status: 'ok', payload: [] });
    expect(kernel.interpreter.cellsRun).toBe(0);
  });

  it('publishes errors, replies with ename/evalue/traceback, and treats a thrown error the same way', async () => {
    const kernel = setup();
    const sent = await run(kernel, execute('print before\nfail ValueError bad value'));
    expect(summary(sent)).toEqual(['iopub:status:busy', 'iopub:execute_input', 'iopub:stream', 'iopub:error', 'shell:execute_reply', 'iopub:status:idle']);
    expect(sent[3]!.message.content).toEqual({ ename: 'ValueError', evalue: 'bad value', traceback: ['ValueError: bad value'] });
    expect(replyOf(sent).content).toMatchObject({ status: 'error', execution_count: 1, ename: 'ValueError', evalue: 'bad value', traceback: ['ValueError: bad value'] });
    const thrown = replyOf(await run(kernel, execute('throw broken')));
    expect(thrown.content).toMatchObject({ status: 'error', execution_count: 2, ename: 'Error', evalue: 'broken' });
  });

  it('aborts execute requests queued behind a failing cell when stop_on_error, and only those', async () => {
    const kernel = setup();
    const failing = execute('sleep 20\nfail RuntimeError boom');
    const queued = [execute('print never'), request('kernel_info_request'), execute('print never again')];
    kernel.core.handle('shell', failing);
    for (const message of queued) kernel.core.handle('shell', message);
    const outcomes = await Promise.all(queued.map((message) => kernel.transport.idleOf(message)));
    expect(summary(outcomes[0]!)).toEqual(['iopub:status:busy', 'shell:execute_reply', 'iopub:status:idle']);
    expect(replyOf(outcomes[0]!).content).toEqual({ status: 'aborted' });
    expect(replyOf(outcomes[1]!).content.status).toBe('ok');
    expect(replyOf(outcomes[2]!).content).toEqual({ status: 'aborted' });
    expect(kernel.interpreter.cellsRun).toBe(1);
    const after = await run(kernel, execute('result fine'));
    expect(replyOf(after).content).toMatchObject({ status: 'ok', execution_count: 2 });
  });

  it('runs a cell the client sends once it has seen the error reply, however fast it comes', async () => {
    const kernel = setup();
    const failing = execute('fail RuntimeError boom');
    const next = execute('result 42');
    const send = kernel.transport.send.bind(kernel.transport);
    kernel.transport.send = async (channel, message) => {
      await send(channel, message);
      if (message.header.msg_type === 'execute_reply' && message.parent_header.msg_id === failing.header.msg_id) kernel.core.handle('shell', next);
    };
    kernel.core.handle('shell', failing);
    expect(replyOf(await kernel.transport.idleOf(next)).content).toMatchObject({ status: 'ok', execution_count: 2 });
  });

  it('runs queued cells after an error when stop_on_error is false', async () => {
    const kernel = setup();
    const failing = execute('sleep 20\nfail RuntimeError boom', { stop_on_error: false });
    const next = execute('result 1');
    kernel.core.handle('shell', failing);
    kernel.core.handle('shell', next);
    expect(replyOf(await kernel.transport.idleOf(next)).content.status).toBe('ok');
  });

  it('processes shell requests one at a time, in order, while control answers at once', async () => {
    const kernel = setup();
    const slow = execute('sleep 300\nprint slow done');
    const fast = execute('print fast');
    kernel.core.handle('shell', slow);
    kernel.core.handle('shell', fast);
    const info = request('kernel_info_request');
    const controlSent = await run(kernel, info, 'control');
    expect(replyOf(controlSent).content.status).toBe('ok');
    expect(kernel.transport.childrenOf(slow).some((entry) => entry.message.header.msg_type === 'execute_reply')).toBe(false);
    await kernel.transport.idleOf(fast);
    const order = kernel.transport.sent
      .filter((entry) => entry.message.header.msg_type === 'execute_reply')
      .map((entry) => entry.message.parent_header.msg_id);
    expect(order).toEqual([slow.header.msg_id, fast.header.msg_id]);
  });

  it('interrupts a running cell on interrupt_request, replying on control', async () => {
    const kernel = setup();
    const cell = execute('sleep 60000');
    kernel.core.handle('shell', cell);
    await kernel.transport.until(() => kernel.transport.childrenOf(cell).length >= 2);
    const interrupt = request('interrupt_request');
    const sent = await run(kernel, interrupt, 'control');
    expect(summary(sent)).toEqual(['iopub:status:busy', 'control:interrupt_reply', 'iopub:status:idle']);
    const cellSent = await kernel.transport.idleOf(cell);
    expect(replyOf(cellSent).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
  });

  it('publishes output that arrives after its cell finished under the latest execute request', async () => {
    const kernel = setup();
    const first = execute('later 50 late text');
    await run(kernel, first);
    const second = execute('sleep 1');
    await run(kernel, second);
    await kernel.transport.until(() => kernel.transport.sent.some((entry) => entry.message.content.text === 'late text\n'));
    const late = kernel.transport.sent.find((entry) => entry.message.content.text === 'late text\n')!;
    expect(late.channel).toBe('iopub');
    expect(late.message.parent_header.msg_id).toBe(second.header.msg_id);
  });

  it('asks for input on stdin with the request identities and hands the reply back to the cell', async () => {
    const kernel = setup();
    const cell = execute('password secret?', { allow_stdin: true });
    kernel.core.handle('shell', cell);
    await kernel.transport.until(() => kernel.transport.sent.some((entry) => entry.channel === 'stdin'));
    const inputRequest = kernel.transport.sent.find((entry) => entry.channel === 'stdin')!.message;
    expect(inputRequest.header.msg_type).toBe('input_request');
    expect(inputRequest.content).toEqual({ prompt: 'secret?', password: true });
    expect(inputRequest.identities).toEqual(cell.identities);
    expect(inputRequest.parent_header.msg_id).toBe(cell.header.msg_id);
    const answer = request('input_reply', { value: 'hunter2' });
    answer.parent_header = inputRequest.header;
    kernel.core.handle('stdin', answer);
    const sent = await kernel.transport.idleOf(cell);
    expect(sent.find((entry) => entry.message.header.msg_type === 'stream')!.message.content.text).toBe('got hunter2\n');
  });

  it('ends a pending input request with KeyboardInterrupt when interrupted', async () => {
    const kernel = setup();
    const cell = execute('input never answered', { allow_stdin: true });
    kernel.core.handle('shell', cell);
    await kernel.transport.until(() => kernel.transport.sent.some((entry) => entry.channel === 'stdin'));
    await run(kernel, request('interrupt_request'), 'control');
    expect(replyOf(await kernel.transport.idleOf(cell)).content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
  });

  it('refuses input when the request did not allow stdin', async () => {
    const kernel = setup();
    const sent = await run(kernel, execute('input name?', { allow_stdin: false }));
    expect(kernel.transport.sent.some((entry) => entry.channel === 'stdin')).toBe(false);
    expect(replyOf(sent).content).toMatchObject({ status: 'error', ename: 'StdinNotImplementedError' });
  });

  it('answers complete, inspect and is_complete from the interpreter, and errors as error replies', async () => {
    const kernel = setup();
    const complete = replyOf(await run(kernel, request('complete_request', { code: 'x = pri', cursor_pos: 7 })));
    expect(complete.content).toEqual({ status: 'ok', matches: ['print'], cursor_start: 4, cursor_end: 7, metadata: {} });
    const inspect = replyOf(await run(kernel, request('inspect_request', { code: 'print', cursor_pos: 5, detail_level: 0 })));
    expect(inspect.content).toEqual({ status: 'ok', found: true, data: { 'text/plain': 'print: writes to stdout' }, metadata: {} });
    const failed = replyOf(await run(kernel, request('inspect_request', { code: 'explode', cursor_pos: 1 })));
    expect(failed.content).toMatchObject({ status: 'error', ename: 'Error', evalue: 'inspect failed' });
    expect(replyOf(await run(kernel, request('is_complete_request', { code: 'a\\' }))).content).toEqual({ status: 'incomplete', indent: '  ' });
    expect(replyOf(await run(kernel, request('is_complete_request', { code: 'a' }))).content).toEqual({ status: 'complete' });
    expect(replyOf(await run(kernel, request('is_complete_request', { code: '???' }))).content).toEqual({ status: 'invalid' });
  });

  it('answers history tail, range and search (with unique and n)', async () => {
    const kernel = setup();
    for (const code of ['result 1', 'print x', 'result 1', 'fail E e']) await run(kernel, execute(code));
    await run(kernel, execute('result hidden', { store_history: false }));
    const history = async (content: Record<string, unknown>) => replyOf(await run(kernel, request('history_request', content))).content.history;
    expect(await history({ hist_access_type: 'tail', n: 2, output: false, raw: true })).toEqual([
      [1, 3, 'result 1'],
      [1, 4, 'fail E e'],
    ]);
    expect(await history({ hist_access_type: 'tail', n: 1, output: true, raw: true })).toEqual([[1, 4, ['fail E e', null]]]);
    expect(await history({ hist_access_type: 'range', session: 1, start: 1, stop: 2, output: true, raw: true })).toEqual([[1, 1, ['result 1', '1']]]);
    expect(await history({ hist_access_type: 'range', session: 0, start: 2, output: false, raw: true })).toHaveLength(3);
    expect(await history({ hist_access_type: 'search', pattern: 'result*', output: false, raw: true })).toEqual([
      [1, 1, 'result 1'],
      [1, 3, 'result 1'],
    ]);
    expect(await history({ hist_access_type: 'search', pattern: 'result*', unique: true, output: false, raw: true })).toEqual([[1, 3, 'result 1']]);
    expect(await history({ hist_access_type: 'search', pattern: '*', n: 1, output: false, raw: true })).toEqual([[1, 4, 'fail E e']]);
  });

  it('persists history to a file and numbers the next session one higher', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'tsgrad-history-')), 'history.jsonl');
    const first = setup(new History(file));
    await run(first, execute('result 1'));
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
    // A line cut short by a crash must not stop the next session from starting.
    await appendFile(file, '{"session": 1, "line": 2, "inp');
    const second = setup(new History(file));
    await run(second, execute('print again'));
    const rows = replyOf(await run(second, request('history_request', { hist_access_type: 'tail', n: 5, output: false, raw: true }))).content.history;
    expect(rows).toEqual([
      [1, 1, 'result 1'],
      [2, 1, 'print again'],
    ]);
    expect(new History(file).query({ kind: 'tail', n: 5 }, false)).toEqual(rows);
  });

  it('answers comm_info with no comms and closes comms opened to unknown targets', async () => {
    const kernel = setup();
    expect(replyOf(await run(kernel, request('comm_info_request', {}))).content).toEqual({ status: 'ok', comms: {} });
    const open = request('comm_open', { comm_id: 'c1', target_name: 'jupyter.widget', data: {} });
    const sent = await run(kernel, open);
    expect(summary(sent)).toEqual(['iopub:status:busy', 'iopub:comm_close', 'iopub:status:idle']);
    expect(sent[1]!.message.content).toEqual({ comm_id: 'c1', data: {} });
    const message = await run(kernel, request('comm_msg', { comm_id: 'c1', data: {} }));
    expect(summary(message)).toEqual(['iopub:status:busy', 'iopub:status:idle']);
    expect(kernel.logs.some((line) => line.includes('jupyter.widget'))).toBe(true);
  });

  it('publishes busy and idle around unknown message types without replying', async () => {
    const kernel = setup();
    expect(summary(await run(kernel, request('frobnicate_request')))).toEqual(['iopub:status:busy', 'iopub:status:idle']);
    expect(kernel.logs.join('\n')).toContain('frobnicate_request');
  });

  it('restarts on shutdown_request with restart: interpreter reset, count back to 1, new history session', async () => {
    const kernel = setup();
    await run(kernel, execute('result a'));
    const shutdown = request('shutdown_request', { restart: true });
    const sent = await run(kernel, shutdown, 'control');
    expect(summary(sent)).toEqual(['iopub:status:busy', 'control:shutdown_reply', 'iopub:shutdown_reply', 'iopub:status:idle']);
    expect(replyOf(sent).content).toEqual({ status: 'ok', restart: true });
    expect(kernel.interpreter.shutdowns).toEqual([true]);
    expect(kernel.shutdowns).toEqual([true]);
    const after = await run(kernel, execute('count'));
    expect(replyOf(after).content.execution_count).toBe(1);
    expect(after.find((entry) => entry.message.header.msg_type === 'execute_result')!.message.content.data).toEqual({ 'text/plain': '1' });
    const rows = replyOf(await run(kernel, request('history_request', { hist_access_type: 'tail', n: 5, output: false, raw: true }))).content.history;
    expect(rows).toEqual([
      [1, 1, 'result a'],
      [2, 1, 'count'],
    ]);
  });

  it('reports a final shutdown to its owner', async () => {
    const kernel = setup();
    const sent = await run(kernel, request('shutdown_request', { restart: false }), 'control');
    expect(replyOf(sent).content).toEqual({ status: 'ok', restart: false });
    expect(kernel.shutdowns).toEqual([false]);
    expect(kernel.interpreter.shutdowns).toEqual([false]);
  });

  it('gives execute_result a text/plain when the interpreter left it out', async () => {
    const transport = new RecordingTransport();
    const interpreter = new FakeInterpreter();
    interpreter.execute = async () => ({ status: 'ok', result: { data: { 'text/html': '<i>x</i>' }, metadata: {} }, userExpressions: {} });
    const core = new KernelCore({ interpreter, transport });
    const cell = execute('anything');
    core.handle('shell', cell);
    const sent = await transport.idleOf(cell);
    expect(sent.find((entry) => entry.message.header.msg_type === 'execute_result')!.message.content.data).toEqual({
      'text/html': '<i>x</i>',
      'text/plain': '<text/html output>',
    });
  });
});

describe('help requests', () => {
  it('are one dotted name with ? or ?? before or after, nothing else', () => {
    expect(helpQuery('torch.nn.Linear?')).toEqual({ expression: 'torch.nn.Linear', detailLevel: 0 });
    expect(helpQuery('  ?? x ')).toEqual({ expression: 'x', detailLevel: 1 });
    for (const code of ['a ? b : c', 'x ?? y', '// why?', '"text"?', '?x?', 'f()?', 'x?\ny?', '?']) expect(helpQuery(code)).toBeNull();
  });
});

describe('history glob patterns', () => {
  it('matches like SQLite GLOB: whole string, case-sensitive, * ? and classes', () => {
    expect(globToRegExp('a*').test('abc')).toBe(true);
    expect(globToRegExp('a*').test('xabc')).toBe(false);
    expect(globToRegExp('A*').test('abc')).toBe(false);
    expect(globToRegExp('a?c').test('abc')).toBe(true);
    expect(globToRegExp('a?c').test('ac')).toBe(false);
    expect(globToRegExp('[ab]x').test('bx')).toBe(true);
    expect(globToRegExp('[^ab]x').test('bx')).toBe(false);
    expect(globToRegExp('x.(1+2)*').test('x.(1+2) + 3\nmore')).toBe(true);
  });
});
