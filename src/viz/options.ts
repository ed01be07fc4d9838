/** Settings shared by every renderer, changed by users as `torch.viz.options.colors = false`. */
export interface VizOptions {
  /** Shade table cells on a blue–white–red scale around 0. */
  colors: boolean;
  /** Largest tensor (elements) whose values are written onto graphs and backward steps. */
  inlineValueLimit: number;
  /** Most display updates per second a live view publishes. */
  liveUpdatesPerSecond: number;
}

/** The current settings; renderers read them at call time, per-call options override them. */
export const options: VizOptions = {
  colors: true,
  inlineValueLimit: 6,
  liveUpdatesPerSecond: 10,
};
