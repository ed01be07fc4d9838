import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, JupyterClient, launchKernel, type LaunchedKernel } from './helpers/jupyter-client.js';

// The kernel process with the real TypeScript interpreter, over real sockets.
describe('kernel process (TypeScript interpreter)', () => {
  let kernel: LaunchedKernel;
  let client: JupyterClient;

  beforeAll(async () => {
    const env = { ...process.env };
    delete env.TSGRAD_INTERPRETER_MODULE;
    delete env.JPY_PARENT_PID;
    const started = performance.now();
    kernel = await launchKernel(builtCli(), env);
    client = await JupyterClient.connect(kernel.info);
    console.log(`kernel ready (kernel_info reply and idle received) ${(performance.now() - started).toFixed(0)} ms after spawn`);
  });

  afterAll(async () => {
    client?.close();
    if (kernel && kernel.process.exitCode === null) {
      kernel.process.kill('SIGKILL');
      await kernel.exited;
    }
  });

  const resultOf = (outcome: { iopub: { header: { msg_type: string }; content: Record<string, unknown> }[] }) =>
    (outcome.iopub.find((message) => message.header.msg_type === 'execute_result')?.content.data as Record<string, unknown> | undefined)?.['text/plain'];

  it('describes itself in kernel_info', async () => {
    const { reply } = await client.request('control', 'kernel_info_request', {});
    expect(reply.content).toMatchObject({
      status: 'ok',
      protocol_version: '5.3',
      implementation: 'tsgrad',
      language_info: { name: 'typescript', mimetype: 'text/typescript', file_extension: '.ts', codemirror_mode: 'typescript', pygments_lexer: 'typescript' },
    });
    expect(typeof reply.content.banner).toBe('string');
    expect(Array.isArray(reply.content.help_links)).toBe(true);
  });

  it('runs cells that share state, streams console output and returns the last value', async () => {
    const first = await client.execute('const base = 40;\nconsole.log("hello, world");');
    expect(first.reply.content.status).toBe('ok');
    expect(first.iopub.find((message) => message.header.msg_type === 'stream')!.content).toEqual({ name: 'stdout', text: 'hello, world\n' });
    expect(resultOf(await client.execute('base + 2'))).toBe('42');
  });

  it('reports runtime errors with name, message and traceback', async () => {
    const { reply, iopub } = await client.execute('throw new RangeError("out of range")');
    expect(reply.content).toMatchObject({ status: 'error', ename: 'RangeError', evalue: 'out of range' });
    expect(iopub.map((message) => message.header.msg_type)).toEqual(['execute_input', 'error']);
  });

  it('publishes display_data from display functions', async () => {
    const { iopub } = await client.execute('display.html("<b>bold</b>")');
    const shown = iopub.find((message) => message.header.msg_type === 'display_data')!;
    expect(shown.content.data).toMatchObject({ 'text/html': '<b>bold</b>' });
    expect(typeof (shown.content.data as Record<string, unknown>)['text/plain']).toBe('string');
  });

  it('asks the client for input', async () => {
    client.onInputRequest((prompt) => (prompt === 'Name? ' ? 'Ada' : 'unexpected prompt'));
    const outcome = await client.execute('const name = await input("Name? ");\nname.toUpperCase()', { allow_stdin: true });
    expect(resultOf(outcome)).toBe("'ADA'");
  });

  it('keeps heartbeat and control answering during 10 s of synchronous code', async () => {
    const cell = client.execute('const until = Date.now() + 10_000;\nwhile (Date.now() < until) {}\n"done"');
    let cellFinished = false;
    void cell.then(() => (cellFinished = true));
    await new Promise((resolve) => setTimeout(resolve, 500));
    let answeredWhileBusy = 0;
    for (let round = 0; round < 8; round++) {
      await JupyterClient.ping(kernel.info, 5000);
      const { reply } = await client.request('control', 'kernel_info_request', {}, 5000);
      expect(reply.content.status).toBe('ok');
      if (!cellFinished) answeredWhileBusy += 1;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(answeredWhileBusy).toBeGreaterThanOrEqual(4);
    expect(resultOf(await cell)).toBe("'done'");
  }, 120_000);

  it('interrupts a busy loop by interrupt_request and by SIGINT, keeping the variables', async () => {
    for (const interrupt of [
      () => client.request('control', 'interrupt_request', {}),
      async () => void kernel.process.kill('SIGINT'),
    ]) {
      const cell = client.execute('while (true) {}');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await interrupt();
      const { reply } = await cell;
      expect(reply.content.status).toBe('error');
      expect(resultOf(await client.execute('base'))).toBe('40');
    }
  }, 120_000);

  it('publishes output of timers that fire after their cell under the latest request', async () => {
    await client.execute('setTimeout(() => console.log("late"), 300);');
    const next = client.execute('await new Promise((resolve) => setTimeout(resolve, 1000));');
    const { iopub } = await next;
    expect(iopub.some((message) => message.header.msg_type === 'stream' && message.content.text === 'late\n')).toBe(true);
  });

  it('aborts queued cells after an error when stop_on_error', async () => {
    const failing = client.execute('await new Promise((resolve) => setTimeout(resolve, 300));\nthrow new Error("stop")');
    const queued = client.execute('"never"');
    expect((await failing).reply.content.status).toBe('error');
    expect((await queued).reply.content).toEqual({ status: 'aborted' });
  });

  it('runs 5,000 trivial cells back to back, every reply and every idle accounted for', async () => {
    const count = 5000;
    const before = (await client.execute('0')).reply.content.execution_count as number;
    const started = performance.now();
    const sent = Array.from({ length: count }, (_, index) =>
      client.send('shell', 'execute_request', { code: `${index}`, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }),
    );
    const outcomes = await Promise.all(sent.map((header) => client.outcomeOf(header.msg_id, 600_000)));
    const seconds = (performance.now() - started) / 1000;
    outcomes.forEach((outcome, index) => {
      expect(outcome.reply.content.status).toBe('ok');
      expect(outcome.reply.content.execution_count).toBe(before + index + 1);
      expect(outcome.allIopub.filter((message) => message.header.msg_type === 'status').map((message) => message.content.execution_state)).toEqual(['busy', 'idle']);
      expect(resultOf(outcome)).toBe(String(index));
    });
    expect(client.droppedMessages).toEqual([]);
    console.log(`5000 TypeScript cells in ${seconds.toFixed(1)} s (${(count / seconds).toFixed(0)} cells/s)`);
  }, 700_000);
});
