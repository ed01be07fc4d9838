import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JupyterMessage, MessageHeader } from './message.js';

/** Separates routing identities from the signed part of a message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** How many signatures are remembered to refuse replays (jupyter_client's Session keeps the same number). */
const DIGEST_HISTORY_SIZE = 2 ** 16;

/** Raised when incoming frames are not a valid, correctly signed, fresh message. */
export class WireError extends Error {
  override name = 'WireError';
}

/** Signs outgoing messages and authenticates incoming ones with the connection file's key. */
export class MessageSigner {
  private readonly algorithm: string | null;
  private readonly seenDigests = new Set<string>();

  constructor(private readonly key: string, signatureScheme: string) {
    if (key === '') {
      this.algorithm = null;
      return;
    }
    const match = /^hmac-(.+)$/.exec(signatureScheme);
    if (!match) throw new Error(`Unsupported signature_scheme ${JSON.stringify(signatureScheme)}`);
    this.algorithm = match[1]!;
    // Fail now, not on the first message, when Node's crypto lacks the hash.
    createHmac(this.algorithm, key);
  }

  /** The hex digest of the four signed frames; empty when signing is off. */
  sign(parts: Buffer[]): string {
    if (this.algorithm === null) return '';
    const hmac = createHmac(this.algorithm, this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest('hex');
  }

  /** Throws unless the signature matches and was never seen before. */
  authenticate(signature: string, parts: Buffer[]): void {
    if (this.algorithm === null) return;
    if (signature === '') throw new WireError('unsigned message');
    const expected = Buffer.from(this.sign(parts));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WireError('invalid signature');
    if (this.seenDigests.has(signature)) throw new WireError(`duplicate signature ${signature} (replayed message)`);
    this.seenDigests.add(signature);
    if (this.seenDigests.size > DIGEST_HISTORY_SIZE) {
      // Sets iterate in insertion order, so this forgets the oldest digest.
      const oldest = this.seenDigests.values().next().value as string;
      this.seenDigests.delete(oldest);
    }
  }
}

/** A message ready to be framed: a JupyterMessage whose buffers may be omitted. */
export type OutgoingMessage = Omit<JupyterMessage, 'buffers'> & { buffers?: Buffer[] };

/** Frames a message: identities, delimiter, signature, header, parent header, metadata, content, buffers. */
export function encodeMessage(message: OutgoingMessage, signer: MessageSigner): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) =>
    Buffer.from(JSON.stringify(part)),
  );
  return [...message.identities, DELIMITER, Buffer.from(signer.sign(parts)), ...parts, ...(message.buffers ?? [])];
}

/** Parses and authenticates frames received on a socket; throws a WireError when they must be dropped. */
export function decodeMessage(frames: Buffer[], signer: MessageSigner): JupyterMessage {
  const delimiterAt = frames.findIndex((frame) => frame.equals(DELIMITER));
  if (delimiterAt < 0) throw new WireError('no <IDS|MSG> delimiter');
  if (frames.length < delimiterAt + 6) throw new WireError(`too few frames (${frames.length - delimiterAt - 1} after the delimiter, need 5)`);
  const signature = frames[delimiterAt + 1]!.toString('ascii');
  const parts = frames.slice(delimiterAt + 2, delimiterAt + 6);
  signer.authenticate(signature, parts);
  const [header, parentHeader, metadata, content] = parts.map((part, index) => {
    try {
      return JSON.parse(part.toString('utf8')) as unknown;
    } catch {
      throw new WireError(`frame ${['header', 'parent_header', 'metadata', 'content'][index]} is not JSON`);
    }
  });
  if (!isObject(header) || typeof header.msg_type !== 'string' || typeof header.msg_id !== 'string') {
    throw new WireError('header lacks msg_type or msg_id');
  }
  return {
    identities: frames.slice(0, delimiterAt),
    header: header as MessageHeader,
    parent_header: isObject(parentHeader) ? (parentHeader as JupyterMessage['parent_header']) : {},
    metadata: isObject(metadata) ? metadata : {},
    content: isObject(content) ? content : {},
    buffers: frames.slice(delimiterAt + 6),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
