/**
 * Which gradient buffers the backward engine alone holds. PyTorch's AccumulateGrad adopts an arriving gradient
 * as the leaf's `.grad` when its reference count shows that nothing else holds it, and copies it otherwise.
 * JavaScript has no reference counts, so the engine counts, per storage, the input-buffer slots of the current
 * run holding it: a storage made during the run (by a backward function), held by exactly one slot and never
 * shown to a hook belongs to the engine alone and can be adopted. Small gradients are not counted: copying
 * them costs less than counting (the scalar tutorial graph ran ~8% slower when every one was). When the last
 * slot lets go of such a storage, nothing can reach its buffer any more, and the buffer pool takes it.
 */
import { recycle } from '../buffer-pool.js';
import type { Storage } from '../dtype.js';

/** Gradients with fewer elements than this are copied, not counted. */
const COUNTED_FROM = 512;

/** What the ledger reads of a tensor storage. */
export interface CountedStorage {
  /** The elements. */
  readonly buffer: Storage;
  /** Creation order of the storage. */
  readonly serial: number;
}

let storagesMade = 0;

/** The creation number of a new storage. */
export function nextStorageSerial(): number {
  return storagesMade++;
}

/** The holder counts of one backward run (-1: a hook saw the storage); one run counts at a time. */
const holders = new Map<CountedStorage, number>();
let firstSerial = 0;

/** Starts counting for a new run: storages made from now on are the run's own. */
export function beginCounting(): void {
  if (holders.size !== 0) holders.clear();
  firstSerial = storagesMade;
}

/** Ends the run's counting (the counts would otherwise keep its gradients alive). */
export function endCounting(): void {
  if (holders.size !== 0) holders.clear();
}

/** One more buffer slot holds the storage. */
export function holdGradient(storage: CountedStorage): void {
  if (storage.buffer.length < COUNTED_FROM) return;
  const count = holders.get(storage) ?? 0;
  if (count >= 0) holders.set(storage, count + 1);
}

/** A buffer slot let go of the storage; the run's own storage that no slot holds any more is recycled. */
export function dropGradient(storage: CountedStorage): void {
  if (storage.buffer.length < COUNTED_FROM) return;
  const count = holders.get(storage);
  if (count === undefined || count <= 0) return;
  if (count > 1 || storage.serial < firstSerial) {
    holders.set(storage, count - 1);
  } else {
    holders.delete(storage);
    recycle(storage.buffer);
  }
}

/** A hook saw the storage (or a leaf adopted it): from now on someone else may hold it. */
export function exposeGradient(storage: CountedStorage): void {
  if (storage.buffer.length >= COUNTED_FROM) holders.set(storage, -1);
}

/** Whether only the engine holds the storage: made during the run, held by one slot, seen by no hook. */
export function heldByEngineAlone(storage: CountedStorage): boolean {
  return storage.buffer.length >= COUNTED_FROM && storage.serial >= firstSerial && holders.get(storage) === 1;
}
