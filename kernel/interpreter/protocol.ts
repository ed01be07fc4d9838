/** Messages between the interpreter's main-thread side and its worker. */
import type { CompleteResult, ErrorContent, ExecuteOutcome, InspectResult, IsCompleteResult, MimeBundle } from '../core/interpreter.js';

/** Data handed to the worker at start. */
export interface WorkerSetup {
  /** Int32 flag, 1 while the worker runs cell code synchronously (then SIGINT can break it). */
  runningFlag: SharedArrayBuffer;
  cwd: string;
  /** Whether to write the compiler's code cache if it was missing (only before V8 flags change at run time). */
  writeCodeCache: boolean;
}

/** Requests to the worker; each is answered by a `reply` with the same id. */
export type WorkerRequest =
  | { kind: 'execute'; id: number; code: string; silent: boolean; storeHistory: boolean; allowStdin: boolean; userExpressions: Record<string, string> }
  | { kind: 'complete'; id: number; code: string; cursor: number }
  | { kind: 'inspect'; id: number; code: string; cursor: number; detail: number }
  | { kind: 'isComplete'; id: number; code: string };

/** The answers, by request kind. */
export interface WorkerAnswers {
  execute: ExecuteOutcome;
  complete: CompleteResult;
  inspect: InspectResult;
  isComplete: IsCompleteResult;
}

/** Everything the main thread sends. */
export type ToWorker =
  | WorkerRequest
  | { kind: 'interrupt' }
  | { kind: 'inputReply'; id: number; value?: string; error?: ErrorContent };

/** Everything the worker sends. */
export type FromWorker =
  | { kind: 'reply'; id: number; answer: WorkerAnswers[keyof WorkerAnswers] }
  | { kind: 'interruptReceived' }
  | { kind: 'stream'; name: 'stdout' | 'stderr'; text: string }
  | { kind: 'display'; bundle: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string }; update: boolean }
  | { kind: 'clearOutput'; wait: boolean }
  | { kind: 'input'; id: number; prompt: string; password: boolean };
