/**
 * The display layer: turns any value into a MIME bundle, and gives cells `display(...)`, its shorthands
 * (`display.html`, `display.svg`, ...) and `clear_output(...)`. Every bundle carries `text/plain`; nothing
 * here ever emits ANSI colours.
 */
import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';

/** A MIME bundle: MIME type to data. */
export type MimeBundle = Record<string, unknown>;

/** The protocol by which objects give their own rich display (a plain convention, as Deno's kernel uses). */
export const JUPYTER_DISPLAY = Symbol.for('Jupyter.display');

/** The `text/plain` form of a value: Node's inspect without colours (strings quoted, as the REPL shows them). */
export function plainText(value: unknown): string {
  return inspect(value, { colors: false, depth: 4, maxArrayLength: 100, breakLength: 100 });
}

/** The MIME bundle of any value: its own `[Symbol.for("Jupyter.display")]()` bundle (sync or async), else plain text. */
export async function toMimeBundle(value: unknown): Promise<MimeBundle> {
  return withPlainText(value, await ownBundle(value));
}

const HANDLE = Symbol('tsgrad.displayHandle');

/** Whether a value is the handle `display(...)` returns (a cell ending in `display(x)` shows no result). */
export function isDisplayHandle(value: unknown): boolean {
  return value !== null && typeof value === 'object' && HANDLE in value;
}

/** Where display output goes (the interpreter forwards it to the client). */
export interface DisplayOutput {
  display(bundle: MimeBundle, metadata: Record<string, unknown>, transient: { display_id?: string }, update: boolean): void;
  clearOutput(wait: boolean): void;
}

/** Options of `display(...)`, named as in IPython. */
export interface DisplayOptions {
  /** Names the output so that later calls can replace it. */
  display_id?: string;
  /** Replaces the output named by `display_id` instead of adding one. */
  update?: boolean;
  metadata?: Record<string, unknown>;
}

/** A shown output, which can be replaced in place. */
export interface DisplayHandle {
  readonly display_id: string;
  /** Replaces the output with the display of `value`. */
  update(value: unknown, metadata?: Record<string, unknown>): void;
}

/** `display(value)` shows any value; the shorthands show raw content of one MIME type. */
export interface Display {
  (value: unknown, options?: DisplayOptions): DisplayHandle;
  /** Shows an HTML fragment. */
  html(source: string, options?: DisplayOptions): DisplayHandle;
  /** Shows an SVG image. */
  svg(source: string, options?: DisplayOptions): DisplayHandle;
  /** Shows Markdown. */
  markdown(source: string, options?: DisplayOptions): DisplayHandle;
  /** Shows LaTeX, e.g. `display.latex("$\\frac{1}{2}$")`. */
  latex(source: string, options?: DisplayOptions): DisplayHandle;
  /** Shows a PNG image given as bytes or base64 text. */
  png(image: Uint8Array | string, options?: DisplayOptions): DisplayHandle;
  /** Shows a JSON value as an interactive tree. */
  json(value: unknown, options?: DisplayOptions): DisplayHandle;
}

/** Clears the cell's output, now or (`wait: true`) when the next output arrives. */
export type ClearOutput = (options?: { wait?: boolean }) => void;

/** The display functions bound to an output, plus a way to wait for displays still computing their bundles. */
export interface DisplayFunctions {
  display: Display;
  clear_output: ClearOutput;
  /** Resolves when every display started so far has been sent. */
  settled(): Promise<void>;
}

/** Creates the `display` and `clear_output` functions that cells use. */
export function createDisplayFunctions(output: DisplayOutput): DisplayFunctions {
  const pending = new Set<Promise<void>>();

  const send = (bundle: MimeBundle | Promise<MimeBundle>, options: DisplayOptions, update: boolean): DisplayHandle => {
    const displayId = options.display_id ?? randomUUID();
    const emit = (ready: MimeBundle) => output.display(ready, options.metadata ?? {}, { display_id: displayId }, update);
    if (bundle instanceof Promise) {
      const sent: Promise<void> = bundle.then(emit).finally(() => pending.delete(sent));
      pending.add(sent);
    } else {
      emit(bundle);
    }
    const handle: DisplayHandle = {
      display_id: displayId,
      update: (value, metadata) => { send(bundleOf(value), { display_id: displayId, metadata: metadata ?? options.metadata }, true); },
    };
    return Object.assign(handle, { [HANDLE]: true });
  };

  const raw = (mimeType: string, plain: (content: string) => string = (content) => content) =>
    (content: string, options: DisplayOptions = {}) => send({ [mimeType]: content, 'text/plain': plain(content) }, options, options.update ?? false);

  const display = Object.assign(
    (value: unknown, options: DisplayOptions = {}) => send(bundleOf(value), options, options.update ?? false),
    {
      html: raw('text/html'),
      svg: raw('image/svg+xml'),
      markdown: raw('text/markdown'),
      latex: raw('text/latex'),
      png: (image: Uint8Array | string, options: DisplayOptions = {}) => {
        const base64 = typeof image === 'string' ? image : Buffer.from(image).toString('base64');
        return send({ 'image/png': base64, 'text/plain': '<PNG image>' }, options, options.update ?? false);
      },
      json: (value: unknown, options: DisplayOptions = {}) =>
        send({ 'application/json': value, 'text/plain': plainText(value) }, options, options.update ?? false),
    },
  );

  return {
    display,
    clear_output: (options = {}) => output.clearOutput(options.wait ?? false),
    settled: async () => { while (pending.size > 0) await Promise.allSettled([...pending]); },
  };
}

/** The bundle of a value, synchronously when its display protocol is synchronous (keeps output order). */
function bundleOf(value: unknown): MimeBundle | Promise<MimeBundle> {
  const own = ownBundle(value);
  return isThenable(own) ? Promise.resolve(own).then((bundle) => withPlainText(value, bundle)) : withPlainText(value, own);
}

/** What the value's display protocol returns, or undefined when it has none. */
function ownBundle(value: unknown): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  const protocol = (value as { [JUPYTER_DISPLAY]?: unknown })[JUPYTER_DISPLAY];
  return typeof protocol === 'function' ? protocol.call(value) : undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

function withPlainText(value: unknown, bundle: unknown): MimeBundle {
  if (bundle === null || typeof bundle !== 'object') return { 'text/plain': plainText(value) };
  const rich = bundle as MimeBundle;
  return 'text/plain' in rich ? rich : { 'text/plain': plainText(value), ...rich };
}
