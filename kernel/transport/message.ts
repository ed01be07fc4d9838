/**
 * The shape of a Jupyter message once it is off the wire (messaging protocol 5.3).
 * Shared by the transport, which frames it, and the core, which reads and writes it.
 */

/** The four channels that carry signed messages (the heartbeat carries raw bytes). */
export type Channel = 'shell' | 'control' | 'stdin' | 'iopub';

/** A message header as the protocol defines it. */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
  [extra: string]: unknown;
}

/** A message with its routing identities (ROUTER sockets) or topic (IOPub). */
export interface JupyterMessage {
  identities: Buffer[];
  header: MessageHeader;
  /** Empty object when the message answers nothing. */
  parent_header: MessageHeader | Record<string, never>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}
