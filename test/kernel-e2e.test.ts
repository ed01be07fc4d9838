import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtCli, fakeInterpreterModule, JupyterClient, launchKernel, type LaunchedKernel } from './helpers/jupyter-client.js';

// The kernel process with the fake interpreter: transport and core end to end over real sockets.
describe('kernel process (fake interpreter)', () => {
  let kernel: LaunchedKernel;
  let client: JupyterClient;

  beforeAll(async () => {
    const env = { ...process.env, TSGRAD_INTERPRETER_MODULE: await fakeInterpreterModule() };
    kernel = await launchKernel(builtCli(), env);
    client = await JupyterClient.connect(kernel.info);
  });

  afterAll(async () => {
    client?.close();
    if (kernel && kernel.process.exitCode === null) {
      kernel.process.kill('SIGKILL');
      await kernel.exited;
    }
  });

  it('answers kernel_info', async () => {
    const { reply } = await client.request('shell', 'kernel_info_request', {});
    expect(reply.content).toMatchObject({ status: 'ok', protocol_version: '5.3', implementation: 'tsgrad', language_info: { name: 'typescript' } });
  });

  it('runs a cell with output and a result', async () => {
    const { reply, iopub } = await client.execute('print hello, world\nresult 3');
    expect(reply.content).toMatchObject({ status: 'ok', execution_count: 1 });
    expect(iopub.map((message) => message.header.msg_type)).toEqual(['execute_input', 'stream', 'execute_result']);
    expect(iopub[1]!.content).toEqual({ name: 'stdout', text: 'hello, world\n' });
  });

  it('reports errors', async () => {
    const { reply, iopub } = await client.execute('fail TypeError no such thing');
    expect(reply.content).toMatchObject({ status: 'error', ename: 'TypeError', evalue: 'no such thing' });
    expect(iopub.map((message) => message.header.msg_type)).toEqual(['execute_input', 'error']);
  });

  it('keeps heartbeat and control responsive while a cell runs, and interrupts it', async () => {
    const cell = client.execute('sleep 60000');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await JupyterClient.ping(kernel.info)).toBeGreaterThanOrEqual(0);
    const { reply: interruptReply } = await client.request('control', 'interrupt_request', {});
    expect(interruptReply.content).toEqual({ status: 'ok' });
    const { reply } = await cell;
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
  });

  it('interrupts the running cell on SIGINT without dying', async () => {
    const cell = client.execute('sleep 60000');
    await new Promise((resolve) => setTimeout(resolve, 200));
    kernel.process.kill('SIGINT');
    const { reply } = await cell;
    expect(reply.content).toMatchObject({ status: 'error', ename: 'KeyboardInterrupt' });
    expect((await client.execute('result alive')).reply.content.status).toBe('ok');
  });

  it('rejects the requests a client still waits for when it is closed', async () => {
    const second = await JupyterClient.connect(kernel.info);
    const cell = second.execute('sleep 60000');
    await new Promise((resolve) => setTimeout(resolve, 200));
    second.close();
    await expect(cell).rejects.toThrow(/closed before the reply/);
    await client.request('control', 'interrupt_request', {});
    expect((await client.execute('result alive')).reply.content.status).toBe('ok');
  });

  it('routes input requests to the client and the answer back', async () => {
    client.onInputRequest((prompt) => `answer to ${prompt}`);
    const { iopub } = await client.execute('input name?', { allow_stdin: true });
    expect(iopub.find((message) => message.header.msg_type === 'stream')!.content.text).toBe('got answer to name?\n');
  });

  it('runs 5,000 trivial cells back to back, every reply and every idle accounted for', async () => {
    const count = 5000;
    const before = (await client.execute('result start')).reply.content.execution_count as number;
    const started = performance.now();
    const sent = Array.from({ length: count }, (_, index) => client.send('shell', 'execute_request', {
      code: `result ${index}`, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true,
    }));
    const outcomes = await Promise.all(sent.map((header) => client.outcomeOf(header.msg_id, 240_000)));
    const seconds = (performance.now() - started) / 1000;
    outcomes.forEach(({ reply, allIopub }, index) => {
      expect(reply.content.status).toBe('ok');
      expect(reply.content.execution_count).toBe(before + index + 1);
      const states = allIopub.filter((message) => message.header.msg_type === 'status').map((message) => message.content.execution_state);
      expect(states).toEqual(['busy', 'idle']);
      expect(allIopub.find((message) => message.header.msg_type === 'execute_result')!.content.data).toEqual({ 'text/plain': String(index) });
    });
    expect(client.droppedMessages).toEqual([]);
    console.log(`5000 cells in ${seconds.toFixed(2)} s (${(count / seconds).toFixed(0)} cells/s)`);
  }, 300_000);

  it('exits after a shutdown_request without restart', async () => {
    const { reply } = await client.request('control', 'shutdown_request', { restart: false });
    expect(reply.content).toEqual({ status: 'ok', restart: false });
    expect(await kernel.exited).toBe(0);
  });
});
