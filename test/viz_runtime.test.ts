import { readFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import torch from '../src/index.js';
import { AccumulateGrad } from '../src/autograd/node.js';
import type { Tensor } from '../src/tensor.js';
import { traceBackward } from '../src/viz/backwardTrace.js';
import { backward_steps, backwardStepRows, graph, grads, live, moduleBundle, options, parameterBundle, sizeBundle, table, tensorBundle } from '../src/viz/index.js';
import { DISPLAY, type MimeBundle } from '../src/viz/mime.js';

interface RecordedStep {
  node: string;
  grad_outputs: unknown[];
  grad_inputs: unknown[];
}
interface RecordedCase {
  steps: RecordedStep[];
  grads: Record<string, unknown>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/viz.json', import.meta.url), 'utf8')) as Record<string, RecordedCase | string>;

const { float32 } = torch;

function parseXml(text: string): Record<string, unknown> {
  const verdict = XMLValidator.validate(text);
  if (verdict !== true) throw new Error(`invalid XML: ${JSON.stringify(verdict.err)}`);
  return new XMLParser({ ignoreAttributes: false }).parse(text) as Record<string, unknown>;
}

/** The tutorial's first case: x = 5 (int64), y = 0, w = 1, b = 3 requiring grad, z = x*w + b, loss = mse_loss(z, y). */
function tutorialCase(): { x: Tensor; y: Tensor; w: Tensor; b: Tensor; z: Tensor; loss: Tensor } {
  const x = torch.tensor(5);
  const y = torch.tensor(0, { dtype: float32 });
  const w = torch.tensor(1, { dtype: float32, requires_grad: true });
  const b = torch.tensor(3, { dtype: float32, requires_grad: true });
  const z = x.mul(w).add(b);
  const loss = torch.nn.functional.mse_loss(z, y);
  return { x, y, w, b, z, loss };
}

function sharedInputCase(): { a: Tensor; loss: Tensor } {
  const a = torch.tensor([1, 2], { dtype: float32, requires_grad: true });
  return { a, loss: a.mul(a).add(a.exp()).sum() };
}

function twoLayerCase(): { w1: Tensor; b1: Tensor; w2: Tensor; loss: Tensor } {
  const x = torch.tensor([[1, -2], [0.5, 3]]);
  const w1 = torch.tensor([[0.1, -0.2], [0.3, 0.4]], { requires_grad: true });
  const b1 = torch.tensor([0.5, -0.5], { requires_grad: true });
  const w2 = torch.tensor([[1], [-1]], { dtype: float32, requires_grad: true });
  const hidden = x.matmul(w1).add(b1).relu();
  return { w1, b1, w2, loss: hidden.matmul(w2).sum() };
}

const valuesOf = (gradients: readonly (Tensor | null)[]): unknown[] => gradients.map((gradient) => (gradient === null ? null : gradient.tolist()));

describe('backward trace against PyTorch', () => {
  for (const [name, build] of [
    ['tutorial', () => tutorialCase().loss],
    ['shared_input', () => sharedInputCase().loss],
    ['two_layers', () => twoLayerCase().loss],
  ] as const) {
    it(`runs the nodes of "${name}" in PyTorch's order with PyTorch's gradients`, () => {
      const expected = (fixture[name] as RecordedCase).steps;
      const steps = traceBackward(build()).steps;
      expect(steps.map((step) => (step.node instanceof AccumulateGrad ? 'torch::autograd::AccumulateGrad' : step.node.name()))).toEqual(expected.map((step) => step.node));
      steps.forEach((step, index) => {
        const want = expected[index]!;
        expect(valuesOf(step.gradOutputs)).toEqual(closeTo(want.grad_outputs));
        if (!(step.node instanceof AccumulateGrad)) expect(valuesOf(step.gradInputs)).toEqual(closeTo(want.grad_inputs));
      });
    });
  }

  it('leaves every .grad as it was, retained ones included', () => {
    const { w, b, z, loss } = tutorialCase();
    traceBackward(loss);
    expect(w.grad).toBeNull();
    expect(b.grad).toBeNull();
    z.retain_grad();
    loss.backward({ retain_graph: true });
    traceBackward(loss);
    expect(w.grad!.item()).toBe(80);
    expect(b.grad!.item()).toBe(16);
    expect(z.grad!.item()).toBe(16);
  });

  it('says how to keep a graph that backward() freed', () => {
    const { loss } = tutorialCase();
    loss.backward();
    expect(() => traceBackward(loss)).toThrow('backward({retain_graph: true})');
  });
});

/** Matches nested numbers to float32 precision. */
function closeTo(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(closeTo);
  if (typeof value === 'number') return expect.closeTo(value, 5);
  return value;
}

describe('backward_steps', () => {
  it('shows the chain rule of the tutorial case: 1 → 16, 16 to both sides, times x = 5 gives w 80', () => {
    const { w, b, loss } = tutorialCase();
    const rows = backwardStepRows(loss, { params: { w, b } });
    expect(rows.map((row) => [row.node, row.received, row.sent])).toEqual([
      ['MseLossBackward0', '1.', ['→ AddBackward0: 16.']],
      ['AddBackward0', '16.', ['→ MulBackward0: 16.', '→ b: 16.']],
      ['AccumulateGrad (b)', '16.', ['b.grad += 16.']],
      ['MulBackward0', '16.', ['→ w: 80.']],
      ['AccumulateGrad (w)', '80.', ['w.grad += 80.']],
    ]);
    expect(rows[3]!.derivatives).toEqual(['other: grad * 5']);
    expect(w.grad).toBeNull();
  });

  it('renders aligned text and an HTML table, escaped', () => {
    const { w, b, loss } = tutorialCase();
    const view = backward_steps(loss, { params: { '<w>': w, b } });
    const bundle = view[DISPLAY]();
    const lines = bundle['text/plain'].split('\n');
    expect(lines[0]).toBe('backward from the () output, starting with grad = 1.');
    expect(lines[1]).toBe('step  node                  grad in  local derivative                grad out');
    // MseLossBackward0 saves self (z = 8) and target (0): the formula shows them, and 2 * (8 - 0) * 1 / 1 = 16.
    expect(lines[2]).toBe('1     MseLossBackward0      1.       self: 2 * (8. - 0.) * grad / N  → AddBackward0: 16.');
    expect(lines[6]).toBe('5     AccumulateGrad (<w>)  80.      <w>.grad += grad                <w>.grad += 80.');
    expect(bundle['text/html']).toContain('AccumulateGrad (&lt;w&gt;)');
    parseXml(bundle['text/html']);
    expect(String(view)).toBe(bundle['text/plain']);
  });

  it('names unnamed leaves leaf0, leaf1... and summarises large gradients by norm', () => {
    const { loss } = twoLayerCase();
    expect(backwardStepRows(loss)[1]!.sent).toEqual(['→ ReluBackward0: [[1., -1.], [1., -1.]]', '→ leaf0: [[1.4500], [0.6000]]']);
    options.inlineValueLimit = 2;
    try {
      expect(backwardStepRows(loss)[1]!.sent).toEqual(['→ ReluBackward0: (2, 2) ‖g‖=2.', '→ leaf0: [[1.4500], [0.6000]]']);
    } finally {
      options.inlineValueLimit = 6;
    }
  });
});

describe('backward_steps errors and seeds', () => {
  it('needs a gradient for non-scalar outputs, as backward() does, and takes one', () => {
    const a = torch.tensor([1, 2], { dtype: float32, requires_grad: true });
    const doubled = a.mul(2);
    expect(() => backward_steps(doubled)).toThrow('grad can be implicitly created only for scalar outputs');
    const rows = backwardStepRows(doubled, { gradient: torch.tensor([1, 10], { dtype: float32 }), params: { a } });
    expect(rows.map((row) => row.sent)).toEqual([['→ a: [2., 20.]'], ['a.grad += [2., 20.]']]);
    expect(() => backward_steps(a)).toThrow('this tensor is a leaf (it has no grad_fn)');
    expect(() => backward_steps(torch.tensor([1]))).toThrow('element 0 of tensors does not require grad and does not have a grad_fn');
  });
});

describe('tensor tables', () => {
  const cells = (html: string): string[] => [...html.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((match) => match[1]!);

  it('formats values as the repr does, with a PyTorch caption and a diverging colour scale', () => {
    const t = torch.tensor([[1.5, -2], [0, 3]]);
    const bundle = tensorBundle(t);
    expect(bundle['text/plain']).toBe(String(t));
    const html = bundle['text/html']!;
    parseXml(html);
    expect(html).toContain('tensor · torch.Size([2, 2]) · torch.float32</caption>');
    expect(cells(html)).toEqual(['1.5000', '-2.0000', '0.0000', '3.0000']);
    expect(html).toContain('background:rgba(59, 76, 192, 0.367)">-2.0000');
    expect(html).toContain('background:rgba(180, 4, 38, 0.55)">3.0000');
    expect(html).toContain('white-space:pre">0.0000');
  });

  it('switches colours off globally or per call', () => {
    const t = torch.tensor([[1.5, -2], [0, 3]]);
    expect(table(t, { colors: false })[DISPLAY]()['text/html']).not.toContain('rgba');
    options.colors = false;
    try {
      expect(tensorBundle(t)['text/html']).not.toContain('rgba');
    } finally {
      options.colors = true;
    }
  });

  it('shows 0-d tensors as one cell and says requires_grad or grad_fn', () => {
    const { w, z } = tutorialCase();
    const leaf = tensorBundle(w)['text/html']!;
    expect(leaf).toContain('tensor · torch.Size([]) · torch.float32 · requires_grad=True</caption>');
    expect(cells(leaf)).toEqual(['1.']);
    expect(tensorBundle(z)['text/html']).toContain('· grad_fn=&lt;AddBackward0&gt;</caption>');
  });

  it('summarises past the print threshold with ellipses, as the repr does', () => {
    const html = tensorBundle(torch.arange(2000))['text/html']!;
    expect(cells(html)).toEqual(['0', '1', '2', '…', '1997', '1998', '1999']);
    expect(html).toContain('>1997</th>');
  });

  it('stacks higher dimensions as labelled 2-d slices, summarised too', () => {
    const small = tensorBundle(torch.arange(8).reshape(2, 2, 2))['text/html']!;
    expect(small).toContain('[0, :, :]</caption>');
    expect(small).toContain('[1, :, :]</caption>');
    parseXml(small);
    const large = tensorBundle(torch.zeros(12, 10, 10))['text/html']!;
    expect(large.match(/, :, :\]<\/caption>/g)).toHaveLength(6);
    expect(large).toContain('[11, :, :]</caption>');
    expect(large).not.toContain('[3, :, :]');
    expect(large).toContain('⋮');
    parseXml(large);
  });

  it('shows booleans uncoloured and empty tensors plainly', () => {
    const mask = tensorBundle(torch.tensor([1, -1]).gt(0))['text/html']!;
    expect(cells(mask)).toEqual(['True', 'False']);
    expect(mask).not.toContain('rgba');
    expect(tensorBundle(torch.zeros(0, 3))['text/html']).toContain('(no elements)');
  });

  it('is what a tensor displays once viz is loaded', () => {
    const t = torch.tensor([1, 2]);
    const bundle = (t as unknown as { [DISPLAY](): MimeBundle })[DISPLAY]();
    expect(bundle['text/html']).toBe(tensorBundle(t)['text/html']);
  });

  it('displays sizes, parameters and modules', () => {
    const size = sizeBundle(torch.zeros(2, 3).shape);
    expect(size['text/plain']).toBe(fixture['size_repr']);
    expect(size['text/html']).toBe('<code>torch.Size([2, 3])</code> <span style="opacity:0.7">2-d, 6 elements</span>');
    const weight = torch.tensor([[1, 2]], { dtype: float32, requires_grad: true });
    expect(parameterBundle(weight)['text/html']).toContain('Parameter · torch.Size([1, 2]) · torch.float32 · requires_grad=True');
    const bias = torch.zeros(1);
    const module = {
      named_parameters: () => [['weight', weight], ['bias<&>', bias]] as [string, Tensor][],
      toString: () => 'Linear(in_features=2, out_features=1, bias=True) <script>',
    };
    const bundle = moduleBundle(module);
    expect(bundle['text/plain']).toBe('Linear(in_features=2, out_features=1, bias=True) <script>');
    expect(bundle['text/html']).toContain('&lt;script&gt;</pre>');
    expect(bundle['text/html']).toContain('3 parameters (2 trainable)');
    expect(bundle['text/html']).toContain('bias&lt;&amp;&gt;');
    parseXml(bundle['text/html']);
  });
});

describe('grads table', () => {
  it('says why a gradient is missing, then shows values, grads and norms aligned', () => {
    const { x, w, b, z, loss } = tutorialCase();
    const before = String(grads({ x, w, z }));
    expect(before.split('\n')).toEqual([
      'name  shape  value  grad                                                               grad norm',
      'x     ()     5      None: does not require grad',
      'w     ()     1.     None: backward not run yet',
      'z     ()     8.     None: not a leaf (call .retain_grad() before backward to keep it)',
    ]);
    loss.backward();
    expect(String(grads({ w, b }))).toBe('name  shape  value  grad  grad norm\nw     ()     1.     80.   80.\nb     ()     3.     16.   16.');
    expect(String(grads([w]))).toBe('name  shape  value  grad  grad norm\n[0]   ()     1.     80.   80.');
    const html = grads({ w, b })[DISPLAY]()['text/html']!;
    parseXml(html);
    expect(html).toContain('>80.</td>');
  });

  it('takes modules through named_parameters() and gives norms of larger gradients', () => {
    const { w1, b1, w2, loss } = twoLayerCase();
    loss.backward();
    const module = { named_parameters: () => [['0.weight', w1], ['0.bias', b1], ['2.weight', w2]] as [string, Tensor][] };
    const lines = String(grads(module)).split('\n');
    expect(lines[1]).toMatch(/^0\.weight +\(2, 2\) +\[\[ ?0\.1000, -0\.2000\], \[0\.3000, 0\.4000\]\] +\[\[ ?0\.5000, -0\.5000\], \[ ?3\.0000, -3\.0000\]\] +4\.3012$/);
  });
});

describe('computation graph', () => {
  const boxes = (dot: string, fill: string): number => dot.split('\n').filter((line) => line.includes(`fillcolor="${fill}"`)).length;
  const edges = (dot: string): string[] => dot.split('\n').filter((line) => line.includes(' -> '));

  it('draws leaves, operations and the output in torchviz colours, skipping None inputs', async () => {
    const { w, b, loss } = tutorialCase();
    const drawing = graph(loss, { params: { w, b } });
    expect(String(drawing)).toBe('<graph: 8 nodes>');
    expect(boxes(drawing.dot, 'lightblue')).toBe(2);
    expect(boxes(drawing.dot, 'darkolivegreen1')).toBe(1);
    expect(boxes(drawing.dot, 'lightgrey')).toBe(5);
    expect(drawing.dot).toContain('label="w\\n()", fillcolor="lightblue"');
    expect(edges(drawing.dot)).toHaveLength(7);
    const bundle = await drawing[DISPLAY]();
    expect(bundle['text/plain']).toBe('<graph: 8 nodes>');
    const svg = bundle['image/svg+xml']!;
    parseXml(svg);
    for (const name of ['MseLossBackward0', 'AddBackward0', 'MulBackward0', 'AccumulateGrad']) expect(svg).toContain(`>${name}</text>`);
    expect(svg).toMatch(/<polygon fill="white" stroke="none"/);
    expect(svg).not.toMatch(/<script|<style|href=|@import|url\(/);
  });

  it('draws a node shared by several paths once, with one edge per use', () => {
    const { a, loss } = sharedInputCase();
    const drawing = graph(loss, { params: { a } });
    expect(drawing.nodeCount).toBe(7);
    expect(drawing.dot.match(/label="AccumulateGrad"/g)).toHaveLength(1);
    // sum←add, add←mul, add←exp, mul←acc twice (a * a), exp←acc, acc←a, output←sum
    expect(edges(drawing.dot)).toHaveLength(8);
  });

  it('writes leaf gradients and the gradient on each edge after backward', async () => {
    const { w, b, loss } = tutorialCase();
    loss.backward({ retain_graph: true });
    const drawing = graph(loss, { params: { w, b }, show_grads: true });
    expect(drawing.dot).toContain('label="w\\n()\\ngrad: 80.", fillcolor="lightblue"');
    expect(drawing.dot).toMatch(/-> n\d+ \[label=" 1\."\];/);
    expect(edges(drawing.dot).filter((line) => line.includes('label=" 80."'))).toHaveLength(1);
    expect(edges(drawing.dot).filter((line) => line.includes('label=" 16."'))).toHaveLength(3);
    parseXml(await drawing.svg());
  });

  it('still draws leaf gradients when the graph was freed', () => {
    const { w, b, loss } = tutorialCase();
    loss.backward();
    const drawing = graph(loss, { params: { w, b }, show_grads: true });
    expect(drawing.dot).toContain('grad: 80.');
    expect(drawing.dot).not.toContain('label=" 16."');
  });

  it('shows saved tensors in orange when asked', () => {
    const { loss } = tutorialCase();
    const drawing = graph(loss, { show_saved: true });
    expect(boxes(drawing.dot, 'orange')).toBeGreaterThan(0);
    expect(drawing.dot).toContain('label="self\\n()", fillcolor="orange"');
  });

  it('escapes hostile names into valid SVG', async () => {
    const { w, b, loss } = tutorialCase();
    const svg = await graph(loss, { params: { '</text><script>"&\\N': w, b } }).svg();
    parseXml(svg);
    expect(svg).toContain('&lt;/text&gt;&lt;script&gt;&quot;&amp;\\N');
  });

  it('lays out an MLP of a few hundred nodes quickly (printed, not asserted)', async () => {
    let activation = torch.randn(4, 16);
    const params: Record<string, Tensor> = {};
    for (let layer = 0; layer < 60; layer++) {
      const weight = torch.randn(16, 16).requires_grad_();
      const bias = torch.zeros(16).requires_grad_();
      params[`layers.${layer}.weight`] = weight;
      params[`layers.${layer}.bias`] = bias;
      activation = activation.matmul(weight).add(bias).relu();
    }
    const loss = activation.sum();
    await graph(torch.tensor(1, { dtype: float32, requires_grad: true }).mul(2)).svg(); // loads Graphviz first
    const started = performance.now();
    const drawing = graph(loss, { params });
    const built = performance.now();
    const svg = await drawing.svg();
    const finished = performance.now();
    console.log(`graph of ${drawing.nodeCount} nodes: DOT in ${(built - started).toFixed(1)} ms, layout+SVG in ${(finished - built).toFixed(1)} ms, ${svg.length} bytes`);
    expect(drawing.nodeCount).toBe(60 * 7 + 2);
    parseXml(svg);
  });
});

describe('live view with parameters', () => {
  it('plots numbers and computed one-element tensors, and shows the current parameters', () => {
    const frames: MimeBundle[] = [];
    const { w, b } = tutorialCase();
    let now = 0;
    const view = live({ title: 'fit', publish: (frame) => frames.push(frame[DISPLAY]() as MimeBundle), clock: () => now });
    now = 200;
    view.update({ epoch: 1, loss: 64, params: { w, b } });
    expect(frames[frames.length - 1]!['text/plain']).toBe('fit: epoch 1 · loss 64\n  w torch.Size([]): 1.\n  b torch.Size([]): 3.');
    now = 700;
    view.update({ epoch: 2, loss: torch.tensor(16, { dtype: float32, requires_grad: true }).mul(1), bias: b });
    view.close();
    const text = frames[frames.length - 1]!['text/plain'];
    expect(text).toBe('fit: epoch 2 · loss 16 · done\n  bias torch.Size([]): 3.');
  });
});

describe('with nn modules', () => {
  it('displays a module, tabulates its gradients and names its parameters on graphs', async () => {
    const { Sequential } = await import('../src/nn/container.js');
    const { Linear } = await import('../src/nn/linear.js');
    const { ReLU } = await import('../src/nn/activation.js');
    torch.manual_seed(0);
    const model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    const bundle = moduleBundle(model);
    expect(bundle['text/plain']).toBe(String(model));
    expect(bundle['text/html']).toContain('13 parameters (13 trainable)');
    expect(bundle['text/html']).toContain('>0.weight</td>');
    parseXml(bundle['text/html']);

    const loss = model.forward(torch.tensor([[1, -1]], { dtype: float32 })).sum();
    expect(String(grads(model)).split('\n')[1]).toMatch(/^0\.weight {2}\(3, 2\) {2}\[\[.*\]\] +None: backward not run yet$/);
    const drawing = graph(loss, { params: model });
    expect(drawing.dot).toContain('label="0.weight\\n(3, 2)", fillcolor="lightblue"');
    expect(drawing.dot).toContain('label="2.bias\\n(1)", fillcolor="lightblue"');
    loss.backward();
    expect(String(grads(model)).split('\n')[4]).toMatch(/^2\.bias +\(1\) +\[[^\]]+\] +\[1\.\] +1\.$/);
  });
});

describe('through the kernel display layer', () => {
  it('awaits the graph display and updates one live display in place', async () => {
    const { createDisplayFunctions, toMimeBundle } = await import('../kernel/display/index.js');
    const { loss } = tutorialCase();
    const bundle = await toMimeBundle(graph(loss));
    expect(bundle['text/plain']).toBe('<graph: 8 nodes>');
    expect(String(bundle['image/svg+xml'])).toMatch(/^<svg/);

    const sent: { bundle: Record<string, unknown>; displayId: string | undefined; update: boolean }[] = [];
    const { display } = createDisplayFunctions({
      display: (shown, _metadata, transient, update) => sent.push({ bundle: shown, displayId: transient.display_id, update }),
      clearOutput: () => undefined,
    });
    let now = 0;
    const view = live({ title: 'kernel', publish: display, clock: () => now });
    now = 1000;
    view.update({ epoch: 1, loss: 2 });
    view.close();
    expect(sent.map((entry) => [entry.displayId, entry.update])).toEqual([
      [view.display_id, false],
      [view.display_id, true],
      [view.display_id, true],
    ]);
    expect(sent[2]!.bundle['text/plain']).toBe('kernel: epoch 1 · loss 2 · done');
  });
});
