import { createHmac, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { freshConnectionInfo } from '../kernel/client/launch.js';
import { endpointFor, parseConnectionInfo, type ConnectionInfo } from '../kernel/transport/connection.js';
import type { Channel, JupyterMessage, MessageHeader } from '../kernel/transport/message.js';
import { SendQueue } from '../kernel/transport/send-queue.js';
import { decodeMessage, DELIMITER, encodeMessage, MessageSigner, WireError } from '../kernel/transport/wire.js';
import { ZmqTransport } from '../kernel/transport/zmq-transport.js';

function header(msgType: string): MessageHeader {
  return { msg_id: randomUUID(), session: 's', username: 'u', date: new Date().toISOString(), msg_type: msgType, version: '5.3' };
}

/** Frames a message by hand, independently of wire.ts, signing with `key` (or not at all when it is empty). */
function frames(key: string, msgType: string, content: object = {}, signatureOverride?: string): Buffer[] {
  const parts = [header(msgType), {}, {}, content].map((part) => Buffer.from(JSON.stringify(part)));
  const signature = key === '' ? '' : createHmac('sha256', key).update(Buffer.concat(parts)).digest('hex');
  return [DELIMITER, Buffer.from(signatureOverride ?? signature), ...parts];
}

interface Harness {
  info: ConnectionInfo;
  transport: ZmqTransport;
  received: { channel: Channel; message: JupyterMessage }[];
  logs: string[];
  sockets: zmq.Socket[];
}

const harnesses: Harness[] = [];

async function bindTransport(overrides: Partial<ConnectionInfo> = {}): Promise<Harness> {
  const info = { ...(await freshConnectionInfo()), ...overrides };
  const logs: string[] = [];
  const received: Harness['received'] = [];
  const transport = await ZmqTransport.bind(info, { log: (line) => logs.push(line) });
  transport.onMessage((channel, message) => received.push({ channel, message }));
  const harness = { info, transport, received, logs, sockets: [] };
  harnesses.push(harness);
  return harness;
}

function dealer(harness: Harness, socket: 'shell' | 'control' | 'stdin', routingId: string = randomUUID()): zmq.Dealer {
  const connected = new zmq.Dealer({ linger: 0, routingId });
  connected.connect(endpointFor(harness.info, socket));
  harness.sockets.push(connected);
  return connected;
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !predicate(); waited += 10) {
    if (waited > 30_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

afterEach(async () => {
  for (const harness of harnesses.splice(0)) {
    for (const socket of harness.sockets) socket.close();
    await harness.transport.close();
  }
});

describe('wire format', () => {
  const signer = () => new MessageSigner('secret', 'hmac-sha256');

  it('frames identities, delimiter, signature, four JSON parts and buffers, and reads them back', () => {
    const message = {
      identities: [Buffer.from('id1'), Buffer.from('id2')],
      header: header('execute_request'),
      parent_header: {},
      metadata: { m: 1 },
      content: { code: 'x' },
      buffers: [Buffer.from([1, 2, 3])],
    };
    const encoded = encodeMessage(message, signer());
    expect(encoded[2]).toEqual(DELIMITER);
    const expected = createHmac('sha256', 'secret').update(Buffer.concat(encoded.slice(4, 8))).digest('hex');
    expect(encoded[3]!.toString()).toBe(expected);
    expect(decodeMessage(encoded, signer())).toEqual(message);
  });

  it('rejects frames without delimiter, with too few parts, or with non-JSON parts', () => {
    expect(() => decodeMessage([Buffer.from('x')], signer())).toThrow(/delimiter/);
    expect(() => decodeMessage([DELIMITER, Buffer.from(''), Buffer.from('{}')], signer())).toThrow(/too few frames/);
    const unsigned = new MessageSigner('', 'hmac-sha256');
    expect(() => decodeMessage([DELIMITER, Buffer.from(''), Buffer.from('{'), Buffer.from('{}'), Buffer.from('{}'), Buffer.from('{}')], unsigned)).toThrow(
      /header is not JSON/,
    );
  });

  it('refuses missing, wrong and replayed signatures', () => {
    const verifying = signer();
    expect(() => decodeMessage(frames('secret', 'a', {}, ''), verifying)).toThrow(/unsigned/);
    expect(() => decodeMessage(frames('other key', 'a'), verifying)).toThrow(/invalid signature/);
    const good = frames('secret', 'a');
    expect(decodeMessage(good, verifying).header.msg_type).toBe('a');
    expect(() => decodeMessage(good, verifying)).toThrow(WireError);
    expect(() => decodeMessage(good, verifying)).toThrow(/duplicate signature/);
  });

  it('does not sign or check with an empty key, and refuses unknown schemes', () => {
    const unsigned = new MessageSigner('', 'hmac-sha256');
    expect(unsigned.sign([Buffer.from('x')])).toBe('');
    expect(decodeMessage(frames('', 'a'), unsigned).header.msg_type).toBe('a');
    expect(() => new MessageSigner('k', 'rsa-sha256')).toThrow(/signature_scheme/);
    expect(new MessageSigner('k', 'hmac-sha512').sign([Buffer.from('x')])).toBe(createHmac('sha512', 'k').update('x').digest('hex'));
  });
});

describe('connection files', () => {
  it('fills jupyter_client defaults and spells ipc endpoints as it does', () => {
    const info = parseConnectionInfo({ shell_port: 1, control_port: 2, stdin_port: 3, iopub_port: 4, hb_port: 5, transport: 'ipc', ip: '/tmp/k' });
    expect(info).toMatchObject({ key: '', signature_scheme: 'hmac-sha256' });
    expect(endpointFor(info, 'iopub')).toBe('ipc:///tmp/k-4');
    expect(endpointFor({ ...info, transport: 'tcp', ip: '0.0.0.0' }, 'hb')).toBe('tcp://0.0.0.0:5');
    expect(() => parseConnectionInfo({ shell_port: 'x' })).toThrow(/shell_port/);
    expect(() => parseConnectionInfo({ transport: 'udp' })).toThrow(/transport/);
  });
});

describe('send queue', () => {
  it('sends one at a time, in order, and keeps going after a failed send', async () => {
    let inFlight = 0;
    const order: string[] = [];
    const queue = new SendQueue(async (parts) => {
      inFlight += 1;
      expect(inFlight).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      if (parts[0]!.toString() === 'bad') throw new Error('send failed');
      order.push(parts[0]!.toString());
    });
    const results = ['a', 'bad', 'b', 'c'].map((name) => queue.enqueue([Buffer.from(name)]));
    await expect(results[1]).rejects.toThrow('send failed');
    await Promise.all([results[0], results[2], results[3]]);
    expect(order).toEqual(['a', 'b', 'c']);
  });
});

describe('zeromq transport', () => {
  it('receives signed messages with their identities and replies to the sender, signed', async () => {
    const harness = await bindTransport();
    const shell = dealer(harness, 'shell', 'client-one');
    await shell.send(frames(harness.info.key, 'kernel_info_request', { x: 1 }));
    await until(() => harness.received.length === 1, 'the request');
    const { channel, message } = harness.received[0]!;
    expect(channel).toBe('shell');
    expect(message.identities.map(String)).toEqual(['client-one']);
    expect(message.content).toEqual({ x: 1 });
    await harness.transport.send('shell', { identities: message.identities, header: header('kernel_info_reply'), parent_header: message.header, metadata: {}, content: { status: 'ok' } });
    const reply = await shell.receive();
    expect(reply[0]).toEqual(DELIMITER);
    const expected = createHmac('sha256', harness.info.key).update(Buffer.concat(reply.slice(2, 6))).digest('hex');
    expect(reply[1]!.toString()).toBe(expected);
    expect(JSON.parse(reply[3]!.toString()).msg_id).toBe(message.header.msg_id);
  });

  it('drops and logs messages with a missing or wrong signature, and replays, on every channel', async () => {
    const harness = await bindTransport();
    for (const channel of ['shell', 'control', 'stdin'] as const) {
      const socket = dealer(harness, channel);
      const good = frames(harness.info.key, `${channel}_good`);
      await socket.send(frames(harness.info.key, 'unsigned', {}, ''));
      await socket.send(frames('wrong key', 'forged'));
      await socket.send(good);
      await socket.send(good);
      await socket.send(frames(harness.info.key, `${channel}_after`));
      await until(() => harness.received.some((entry) => entry.message.header.msg_type === `${channel}_after`), `${channel} messages`);
    }
    expect(harness.received.map((entry) => `${entry.channel}:${entry.message.header.msg_type}`)).toEqual([
      'shell:shell_good',
      'shell:shell_after',
      'control:control_good',
      'control:control_after',
      'stdin:stdin_good',
      'stdin:stdin_after',
    ]);
    expect(harness.logs.filter((line) => line.includes('unsigned message'))).toHaveLength(3);
    expect(harness.logs.filter((line) => line.includes('invalid signature'))).toHaveLength(3);
    expect(harness.logs.filter((line) => line.includes('duplicate signature'))).toHaveLength(3);
  });

  it('keeps messages that arrive before a handler is set and hands them over in order', async () => {
    const info = await freshConnectionInfo();
    const transport = await ZmqTransport.bind(info, { log: () => undefined });
    const harness: Harness = { info, transport, received: [], logs: [], sockets: [] };
    harnesses.push(harness);
    const shell = dealer(harness, 'shell');
    await shell.send(frames(info.key, 'first'));
    await shell.send(frames(info.key, 'second'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    transport.onMessage((channel, message) => harness.received.push({ channel, message }));
    await shell.send(frames(info.key, 'third'));
    await until(() => harness.received.length === 3, 'all three messages');
    expect(harness.received.map((entry) => entry.message.header.msg_type)).toEqual(['first', 'second', 'third']);
  });

  it('accepts unsigned messages when the key is empty', async () => {
    const harness = await bindTransport({ key: '' });
    await dealer(harness, 'control').send(frames('', 'unsigned_ok'));
    await until(() => harness.received.length === 1, 'the unsigned message');
    expect(harness.received[0]!.message.header.msg_type).toBe('unsigned_ok');
  });

  it('echoes heartbeats', async () => {
    const harness = await bindTransport();
    const heartbeat = new zmq.Request({ linger: 0 });
    harness.sockets.push(heartbeat);
    heartbeat.connect(endpointFor(harness.info, 'hb'));
    await heartbeat.send([Buffer.from('ping'), Buffer.from('two frames')]);
    expect((await heartbeat.receive()).map(String)).toEqual(['ping', 'two frames']);
  });

  it('publishes on IOPub with a kernel.<session>.<type> topic and loses nothing under load', async () => {
    const harness = await bindTransport();
    const subscriber = new zmq.Subscriber({ linger: 0, receiveHighWaterMark: 0 });
    harness.sockets.push(subscriber);
    subscriber.subscribe();
    subscriber.connect(endpointFor(harness.info, 'iopub'));
    const shell = dealer(harness, 'shell');
    await shell.send(frames(harness.info.key, 'hello'));
    await until(() => harness.received.length === 1, 'the shell identity');
    const identities = harness.received[0]!.message.identities;
    // Subscriptions reach a publisher asynchronously: publish probes until one arrives, then start the burst.
    let subscribed = false;
    void subscriber.receive().then(() => (subscribed = true));
    while (!subscribed) {
      await harness.transport.send('iopub', { identities: [], header: header('probe'), parent_header: {}, metadata: {}, content: {} });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const count = 20_000;
    const sends: Promise<void>[] = [];
    for (let index = 0; index < count; index++) {
      const message = { header: { ...header('stream'), session: 'kernel-session' }, parent_header: {}, metadata: {}, content: { index } };
      sends.push(harness.transport.send('iopub', { ...message, identities: [] }));
      sends.push(harness.transport.send('shell', { ...message, identities }));
    }
    const iopubIndexes: number[] = [];
    const shellIndexes: number[] = [];
    let topic = '';
    const readIopub = (async () => {
      while (iopubIndexes.length < count) {
        const received = await subscriber.receive();
        if (JSON.parse(received[3]!.toString()).msg_type === 'probe') continue;
        topic = received[0]!.toString();
        iopubIndexes.push(JSON.parse(received[6]!.toString()).index);
      }
    })();
    const readShell = (async () => {
      while (shellIndexes.length < count) shellIndexes.push(JSON.parse((await shell.receive())[5]!.toString()).index);
    })();
    await Promise.all([...sends, readIopub, readShell]);
    expect(topic).toBe('kernel.kernel-session.stream');
    const expected = Array.from({ length: count }, (_, index) => index);
    expect(iopubIndexes).toEqual(expected);
    expect(shellIndexes).toEqual(expected);
  });

  it('binds any free port where the connection file says 0, and reports the ports taken', async () => {
    const harness = await bindTransport({ shell_port: 0, hb_port: 0 });
    const { shell_port: shellPort, hb_port: hbPort, control_port: controlPort } = harness.transport.info;
    expect(shellPort).toBeGreaterThan(0);
    expect(hbPort).toBeGreaterThan(0);
    expect(controlPort).toBe(harness.info.control_port);
    await dealer({ ...harness, info: harness.transport.info }, 'shell').send(frames(harness.info.key, 'on_chosen_port'));
    await until(() => harness.received.length === 1, 'a message on the chosen port');
  });

  it('binds on ipc and on 0.0.0.0', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tsgrad-ipc-'));
    const ipc = await bindTransport({ transport: 'ipc', ip: join(directory, 'kernel') });
    await dealer(ipc, 'shell').send(frames(ipc.info.key, 'over_ipc'));
    await until(() => ipc.received.length === 1, 'the ipc message');
    const wildcard = await bindTransport({ ip: '0.0.0.0' });
    const socket = new zmq.Dealer({ linger: 0 });
    wildcard.sockets.push(socket);
    socket.connect(`tcp://127.0.0.1:${wildcard.info.shell_port}`);
    await socket.send(frames(wildcard.info.key, 'over_wildcard'));
    await until(() => wildcard.received.length === 1, 'the wildcard message');
  });
});
