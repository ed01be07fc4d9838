/**
 * Buffers of gradients the backward engine found dead (autograd/ownership.ts), kept for the next allocation
 * of the same type and length. JavaScript frees memory only when the collector runs, and a fresh 40 KB typed
 * array costs ~3-20 µs (the more, the busier the collector), where a reused one costs its zero fill (~1 µs);
 * PyTorch's allocator gets the same effect from reference counts that free a gradient as soon as it is used.
 */
import type { Storage } from './dtype.js';

/** Buffers shorter than this are not kept: small typed arrays are cheap to make. */
const POOLED_FROM = 512;
/** At most this many bytes wait in the pool; past it, dead buffers are left to the collector. */
const MAX_POOLED_BYTES = 16 * 2 ** 20;
/** At most this many buffers of one type and length wait: a training step reuses the same few sizes. */
const MAX_PER_SIZE = 4;

const waiting = new Map<number, Storage[]>();
let pooledBytes = 0;

const keyOf = (arrayType: unknown, length: number): number =>
  length * 3 + (arrayType === Float32Array ? 0 : arrayType === Float64Array ? 1 : 2);

/** Keeps a buffer nothing holds any more for the next allocation of its type and length. */
export function recycle(buffer: Storage): void {
  if (buffer.length < POOLED_FROM || pooledBytes + buffer.byteLength > MAX_POOLED_BYTES) return;
  const key = keyOf(buffer.constructor, buffer.length);
  const list = waiting.get(key);
  if (list === undefined) waiting.set(key, [buffer]);
  else if (list.length < MAX_PER_SIZE) list.push(buffer);
  else return;
  pooledBytes += buffer.byteLength;
}

/** A kept buffer of this type and length, zero-filled, or null. */
export function reuse(arrayType: unknown, length: number): Storage | null {
  if (pooledBytes === 0 || length < POOLED_FROM) return null;
  const buffer = waiting.get(keyOf(arrayType, length))?.pop();
  if (buffer === undefined) return null;
  pooledBytes -= buffer.byteLength;
  return buffer.fill(0);
}
