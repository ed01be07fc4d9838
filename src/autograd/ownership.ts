/**
 * Which gradient buffers the backward engine alone holds. PyTorch's AccumulateGrad adopts an arriving gradient
 * as the leaf's `.grad` when its reference count shows that nothing else holds it, and copies it otherwise.
 * JavaScript has no reference counts, so the engine counts, per storage, the input-buffer slots of the current
 * run holding it: a storage made during the run (by a backward function), held by exactly one slot and never
 * shown to a hook belongs to the engine alone and can be adopted.
 */

/** The bookkeeping a tensor storage carries for the engine. */
export interface GradientLedger {
  /** Creation order of the storage. */
  readonly serial: number;
  /** The run the counts below belong to (counts of an older run are stale). */
  _ledgerRun: number;
  /** Input-buffer slots of that run holding the storage. */
  _holders: number;
  /** Whether a hook was shown a tensor over the storage during that run. */
  _exposed: boolean;
}

let storagesMade = 0;

/** The creation number of a new storage. */
export function nextStorageSerial(): number {
  return storagesMade++;
}

/** The serial the next storage will get: storages with a serial at least this are made from now on. */
export function nextSerialToCome(): number {
  return storagesMade;
}

function current(storage: GradientLedger, run: number): GradientLedger {
  if (storage._ledgerRun !== run) {
    storage._ledgerRun = run;
    storage._holders = 0;
    storage._exposed = false;
  }
  return storage;
}

/** One more buffer slot of `run` holds the storage. */
export function holdGradient(storage: GradientLedger, run: number): void {
  current(storage, run)._holders++;
}

/** A buffer slot of `run` let go of the storage. */
export function dropGradient(storage: GradientLedger, run: number): void {
  current(storage, run)._holders--;
}

/** A hook saw the storage: from now on someone else may hold it. */
export function exposeGradient(storage: GradientLedger, run: number): void {
  current(storage, run)._exposed = true;
}

/** Whether only the engine holds the storage: made since `firstSerial`, one slot of `run`, no hook saw it. */
export function heldByEngineAlone(storage: GradientLedger, run: number, firstSerial: number): boolean {
  return storage._ledgerRun === run && storage._holders === 1 && !storage._exposed && storage.serial >= firstSerial;
}
