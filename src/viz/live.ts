/**
 * `torch.viz.live`: one display that follows a training loop (loss curve, epoch count and rate, current
 * parameters), replaced in place as epochs pass.
 *
 * The seam with the kernel: a live view publishes frames through a `DisplayPublisher`,
 * `(frame, {display_id, update}) => void`, which is the signature of the kernel's `display(value, options)`:
 * each frame is a displayable object, the first goes out with `update: false`, the rest with `update: true` and
 * the same `display_id`. The publisher is the `publish` option when given (`torch.viz.live({publish: display})`),
 * else the one registered with `setDisplayPublisher` (the kernel registers its `display`, routed to the running
 * cell). Without a publisher nothing is sent, and the view still displays its latest frame when shown as a value.
 */

import { lineChartSvg } from './lineChart.js';
import { DISPLAY, type Displayable, escapeHtml, type MimeBundle, RenderedView } from './mime.js';
import { namedTensors, type ParameterSource } from './naming.js';
import { options } from './options.js';
import { sizeRepr } from '../format.js';
import { isTensorLike, type TensorLike } from './runtimeShapes.js';
import { flatValues, inlineValues } from './valueText.js';

/** Shows a displayable (`update: false`) or replaces the display with that id (`update: true`): the kernel's `display`. */
export type DisplayPublisher = (frame: Displayable, target: { display_id: string; update: boolean }) => unknown;

const PUBLISHER_KEY = Symbol.for('tsgrad.display.publish');

/** Registers (or, with undefined, removes) the process-wide publisher live views use by default. */
export function setDisplayPublisher(publisher: DisplayPublisher | undefined): void {
  (globalThis as Record<symbol, unknown>)[PUBLISHER_KEY] = publisher;
}

function registeredPublisher(): DisplayPublisher | undefined {
  const publisher = (globalThis as Record<symbol, unknown>)[PUBLISHER_KEY];
  return typeof publisher === 'function' ? (publisher as DisplayPublisher) : undefined;
}

/** Options of `torch.viz.live`. */
export interface LiveOptions {
  /** Heading of the display. */
  title?: string;
  /** Where frames go; defaults to the publisher the kernel registered. */
  publish?: DisplayPublisher;
  /** Most frames per second (default `torch.viz.options.liveUpdatesPerSecond`, 10). */
  updates_per_second?: number;
  /** Plot the loss on a log scale. */
  log_scale?: boolean;
  /** Milliseconds since some origin; `performance.now` unless a test or replay supplies its own. */
  clock?: () => number;
}

/**
 * What one `update` reports: the epoch; numbers to plot (loss, accuracy...), where a one-element computed tensor
 * such as `loss` itself counts as a number; parameters to show (tensors, or `params`: a record or a module).
 */
export interface LiveUpdate {
  epoch?: number;
  /** The parameters to show: a record name → tensor, or a module. */
  params?: ParameterSource;
  [metric: string]: number | TensorLike | ParameterSource | undefined;
}

let liveViews = 0;

/** A live training display; create it with `torch.viz.live(...)`. */
export class LiveView {
  /** The id of the one display this view keeps replacing. */
  readonly display_id: string;
  private readonly title: string;
  private readonly publisher: DisplayPublisher | undefined;
  private readonly minimumInterval: number;
  private readonly clock: () => number;
  private readonly logScale: boolean;
  private readonly epochs: number[] = [];
  private readonly metrics = new Map<string, number[]>();
  private shown: [string, TensorLike][] = [];
  private startedAt: number | undefined;
  private lastUpdateAt = 0;
  private lastPublishedAt = -Infinity;
  private published = false;
  private pendingTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /** Starts a view and publishes its empty first frame; prefer `torch.viz.live(...)`. */
  constructor(liveOptions: LiveOptions = {}) {
    liveViews += 1;
    this.display_id = `tsgrad-live-${process.pid}-${liveViews}-${Math.random().toString(36).slice(2, 10)}`;
    this.title = liveOptions.title ?? 'Training';
    this.publisher = liveOptions.publish ?? registeredPublisher();
    this.minimumInterval = 1000 / (liveOptions.updates_per_second ?? options.liveUpdatesPerSecond);
    this.clock = liveOptions.clock ?? (() => performance.now());
    this.logScale = liveOptions.log_scale ?? false;
    this.publish();
  }

  /** Records one step (epoch numbers count up by themselves when omitted) and refreshes the display, throttled. */
  update(step: LiveUpdate): void {
    if (this.closed) throw new Error('this live view is closed; start another with torch.viz.live()');
    const now = this.clock();
    this.startedAt ??= now;
    this.lastUpdateAt = now;
    const epoch = step.epoch ?? (this.epochs.length === 0 ? 1 : this.epochs[this.epochs.length - 1]! + 1);
    this.epochs.push(epoch);
    const shown: [string, TensorLike][] = [];
    for (const [key, value] of Object.entries(step)) {
      if (key === 'epoch' || value === undefined) continue;
      if (typeof value === 'number') this.recordMetric(key, value);
      else if (isTensorLike(value) && isMetricTensor(value)) this.recordMetric(key, flatValues(value)[0]!);
      else if (isTensorLike(value)) shown.push([key, value]);
      else if (key === 'params') shown.push(...namedTensors(value as ParameterSource));
    }
    // A metric missing from this update leaves a gap, so every series stays aligned with the epochs.
    for (const values of this.metrics.values()) if (values.length < this.epochs.length) values.push(Number.NaN);
    if (shown.length > 0) this.shown = shown;
    this.schedule(now);
  }

  /** Publishes the final frame and stops the view. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pendingTimer !== undefined) clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    this.publish();
  }

  /** How many updates were recorded. */
  get steps(): number {
    return this.epochs.length;
  }

  /** The current frame. */
  [DISPLAY](): MimeBundle {
    return this.frame();
  }

  /** The current frame's text form. */
  toString(): string {
    return this.frame()['text/plain'];
  }

  private recordMetric(name: string, value: number): void {
    let values = this.metrics.get(name);
    if (values === undefined) {
      values = new Array<number>(this.epochs.length - 1).fill(Number.NaN);
      this.metrics.set(name, values);
    }
    values.push(value);
  }

  private schedule(now: number): void {
    if (now - this.lastPublishedAt >= this.minimumInterval) {
      this.publish();
      return;
    }
    if (this.pendingTimer !== undefined) return;
    // A synchronous loop starves timers, so this trailing frame lands when the loop ends (or between awaits).
    this.pendingTimer = setTimeout(() => {
      this.pendingTimer = undefined;
      this.publish();
    }, Math.max(0, this.minimumInterval - (now - this.lastPublishedAt)));
    this.pendingTimer.unref?.();
  }

  private publish(): void {
    this.lastPublishedAt = this.clock();
    if (this.publisher === undefined) return;
    this.publisher(new RenderedView(this.frame()), { display_id: this.display_id, update: this.published });
    this.published = true;
  }

  private summary(): string {
    const parts: string[] = [];
    if (this.epochs.length === 0) return 'waiting for the first update';
    parts.push(`epoch ${this.epochs[this.epochs.length - 1]}`);
    for (const [name, values] of this.metrics) parts.push(`${name} ${formatMetric(values[values.length - 1]!)}`);
    // The closing frame is what a saved notebook keeps, so it leaves out the machine-dependent rate.
    const rate = this.closed ? undefined : this.rate();
    if (rate !== undefined) parts.push(`${formatMetric(rate)} epochs/s`);
    if (this.closed) parts.push('done');
    return parts.join(' · ');
  }

  private rate(): number | undefined {
    if (this.startedAt === undefined || this.epochs.length < 2 || this.lastUpdateAt <= this.startedAt) return undefined;
    return ((this.epochs.length - 1) * 1000) / (this.lastUpdateAt - this.startedAt);
  }

  private frame(): MimeBundle {
    const summary = this.summary();
    const parameterLines = this.shown.map(([name, tensor]) => `${name} ${sizeRepr(tensor.shape)}: ${inlineValues(tensor)}`);
    const text = [`${this.title}: ${summary}`, ...parameterLines.map((line) => `  ${line}`)].join('\n');
    const series = [...this.metrics].map(([name, ys]) => ({ name, xs: this.epochs, ys }));
    const chart = lineChartSvg(series, { xLabel: 'epoch', logY: this.logScale });
    const rows = this.shown
      .map(([name, tensor]) => `<tr><th style="text-align:left;padding:1px 8px 1px 0">${escapeHtml(name)}</th><td style="padding:1px 8px 1px 0">${escapeHtml(shapeOf(tensor))}</td><td style="font-family:monospace;white-space:pre">${escapeHtml(inlineValues(tensor))}</td></tr>`)
      .join('');
    const html = [
      '<div class="tsgrad-live">',
      `<div style="font-weight:bold">${escapeHtml(this.title)}</div>`,
      `<div style="font-family:monospace">${escapeHtml(summary)}</div>`,
      chart,
      rows ? `<table style="border-collapse:collapse;font-size:12px">${rows}</table>` : '',
      '</div>',
    ].join('\n');
    return { 'text/plain': text, 'text/html': html };
  }
}

/** A one-element tensor that is not a parameter (a leaf requiring grad): a value to plot, such as the loss. */
function isMetricTensor(tensor: TensorLike): boolean {
  return tensor.numel() === 1 && !(tensor.is_leaf && tensor.requires_grad);
}

function shapeOf(tensor: TensorLike): string {
  return `(${tensor.shape.join(', ')})`;
}

function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) return value.toExponential(3);
  return String(Number(value.toPrecision(5)));
}

/** Starts a live training display: call `update({epoch, loss, params})` each epoch and `close()` at the end. */
export function live(liveOptions: LiveOptions = {}): LiveView {
  return new LiveView(liveOptions);
}
