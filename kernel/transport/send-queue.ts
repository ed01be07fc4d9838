/**
 * Serialises sends on one socket: zeromq v6 refuses a second send while one is in flight,
 * so each send waits for the previous one. Sends leave in the order they were queued.
 */
export class SendQueue {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly sendNow: (frames: Buffer[]) => Promise<void>) {}

  /** Queues frames; resolves once they were handed to ZeroMQ, rejects if that send failed. */
  enqueue(frames: Buffer[]): Promise<void> {
    const sent = this.tail.then(() => this.sendNow(frames));
    // A failed send must not stop the ones queued behind it; its own caller sees the rejection.
    this.tail = sent.catch(() => undefined);
    return sent;
  }

  /** Resolves when every send queued so far has finished. */
  drain(): Promise<void> {
    return this.tail;
  }
}
