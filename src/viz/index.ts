/**
 * `torch.viz`: rich displays for learning autograd. Every renderer returns plain MIME bundles (or objects with a
 * `[Symbol.for("Jupyter.display")]()` method returning one), so the runtime stays free of Jupyter.
 *
 * - `grads(tensors | {name: tensor} | module)`: value, `.grad` and gradient norm per tensor.
 * - `graph(output, {params, show_saved, show_grads})`: the autograd graph as SVG. Layout is asynchronous: the
 *   returned object's display method returns a promise (the display layer awaits it); `await g.svg()` gives the SVG.
 * - `backward_steps(output, {params})`: the backward pass node by node, as the engine runs it.
 * - `live({title})`: a training display updated in place; see live.ts for the publishing seam.
 * - `table(t, {colors})`: a tensor as a table with per-call options (tensors display as tables anyway).
 * - `tensorBundle`, `parameterBundle`, `moduleBundle`, `sizeBundle`: what tensors, parameters, modules and sizes display as.
 * - `options`: `colors`, `inlineValueLimit`, `liveUpdatesPerSecond`.
 */

export { backward_steps, backwardStepRows, type BackwardStepsOptions, type StepRow } from './backwardSteps.js';
export { ComputationGraph, graph, type GraphOptions } from './graph.js';
export { grads, missingGradReason } from './grads.js';
export { live, LiveView, setDisplayPublisher, type DisplayPublisher, type LiveOptions, type LiveUpdate } from './live.js';
export { DISPLAY, type MimeBundle } from './mime.js';
export { options, type VizOptions } from './options.js';
export { moduleBundle, parameterBundle, sizeBundle, table, tensorBundle, tensorHtml, type TensorViewOptions } from './tensorView.js';

import { tensorDisplayHooks } from '../tensor.js';
import { tensorHtml } from './tensorView.js';

// Tensors display their repr as text; loading viz adds the table as HTML.
tensorDisplayHooks.html = (tensor) => tensorHtml(tensor);
