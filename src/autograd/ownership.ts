/**
 * Which gradient buffers the backward engine alone holds. PyTorch's AccumulateGrad adopts an arriving gradient
 * as the leaf's `.grad` when its reference count shows that nothing else holds it, and copies it otherwise.
 * JavaScript has no reference counts, so the engine counts, per storage, the input-buffer slots of the current
 * run holding it: a storage made during the run (by a backward function), held by exactly one slot and never
 * shown to a hook belongs to the engine alone and can be adopted. The count lives on the storage itself, tagged
 * with the run it belongs to (a count left by an earlier run reads as none), so counting costs a few field
 * writes and nothing needs clearing. When the last slot lets go of such a storage, nothing can reach its buffer
 * any more, and the buffer pool takes it.
 */
import { recycle } from '../buffer-pool.js';
import type { Storage } from '../dtype.js';

/** What the ledger reads and writes on a tensor storage. */
export interface CountedStorage {
  /** The elements. */
  readonly buffer: Storage;
  /** Creation order of the storage. */
  readonly serial: number;
  /** The counting run that `holders` belongs to. */
  countedRun: number;
  /** Input-buffer slots of that run holding the storage; -1 once a hook saw it (or a leaf adopted it). */
  holders: number;
}

let storagesMade = 0;

/** The creation number of a new storage. */
export function nextStorageSerial(): number {
  return storagesMade++;
}

/** The run being counted (numbered from 1; one run counts at a time) and the first storage it made. */
let countingRun = 0;
let firstSerial = 0;

/** Starts counting for a new run: storages made from now on are the run's own. */
export function beginCounting(): void {
  countingRun++;
  firstSerial = storagesMade;
}

/** One more buffer slot holds the storage. */
export function holdGradient(storage: CountedStorage): void {
  if (storage.countedRun !== countingRun) {
    storage.countedRun = countingRun;
    storage.holders = 1;
  } else if (storage.holders >= 0) {
    storage.holders++;
  }
}

/** A buffer slot let go of the storage; the run's own storage that no slot holds any more is recycled. */
export function dropGradient(storage: CountedStorage): void {
  if (storage.countedRun !== countingRun || storage.holders <= 0) return;
  storage.holders--;
  if (storage.holders === 0 && storage.serial >= firstSerial) recycle(storage.buffer);
}

/** A hook saw the storage (or a leaf adopted it): from now on someone else may hold it. */
export function exposeGradient(storage: CountedStorage): void {
  storage.countedRun = countingRun;
  storage.holders = -1;
}

/** Whether only the engine holds the storage: made during the run, held by one slot, seen by no hook. */
export function heldByEngineAlone(storage: CountedStorage): boolean {
  return storage.serial >= firstSerial && storage.countedRun === countingRun && storage.holders === 1;
}
