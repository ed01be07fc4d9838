/**
 * The contract between the kernel core and whatever runs the cells.
 * The core knows nothing of TypeScript: it hands code to an Interpreter and publishes what comes back.
 */

/** A MIME bundle: MIME type to data (strings, or JSON values for application/json). */
export type MimeBundle = Record<string, unknown>;

/** Where a running cell sends its side output. Calls may continue after `execute` settles (timers). */
export interface ExecutionSink {
  stream(name: 'stdout' | 'stderr', text: string): void;
  display(bundle: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void;
  clearOutput(wait: boolean): void;
  /** Asks the client for a line of input; rejects when the request did not allow stdin. */
  input(prompt: string, password: boolean): Promise<string>;
}

export interface ExecuteOptions {
  silent: boolean;
  storeHistory: boolean;
  allowStdin: boolean;
  userExpressions: Record<string, string>;
}

export interface ErrorContent {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type ExpressionResult =
  | { status: 'ok'; data: MimeBundle; metadata: Record<string, unknown> }
  | ({ status: 'error' } & ErrorContent);

export type ExecuteOutcome =
  | {
      status: 'ok';
      result?: { data: MimeBundle; metadata: Record<string, unknown> };
      userExpressions: Record<string, ExpressionResult>;
      /** execute_reply payloads, e.g. `{source: 'page', data: {'text/plain': ...}, start: 0}` to show help in the pager. */
      payload?: Record<string, unknown>[];
    }
  | ({ status: 'error' } & ErrorContent);

export interface CompleteResult {
  matches: string[];
  cursor_start: number;
  cursor_end: number;
  metadata: Record<string, unknown>;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface IsCompleteResult {
  status: 'complete' | 'incomplete' | 'invalid' | 'unknown';
  indent?: string;
}

export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  codemirror_mode?: string | Record<string, unknown>;
  pygments_lexer?: string;
  nbconvert_exporter?: string;
}

export interface Interpreter {
  readonly implementation: string;
  readonly implementationVersion: string;
  readonly languageInfo: LanguageInfo;
  readonly banner: string;
  readonly helpLinks: { text: string; url: string }[];
  /** Runs one cell. Positions and errors refer to the cell's own lines. */
  execute(code: string, sink: ExecutionSink, options: ExecuteOptions): Promise<ExecuteOutcome>;
  /** Cursor positions are in Unicode code points, as the messaging protocol counts them. */
  complete(code: string, cursorPos: number): Promise<CompleteResult>;
  inspect(code: string, cursorPos: number, detailLevel: number): Promise<InspectResult>;
  isComplete(code: string): Promise<IsCompleteResult>;
  /** Stops the running cell (or pending await) with a KeyboardInterrupt-like error; state survives. */
  interrupt(): void;
  /** Drops all state and starts afresh (restart) or releases resources for good. */
  shutdown(restart: boolean): Promise<void>;
}
