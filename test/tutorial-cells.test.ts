/**
 * The nn/optim tutorial as notebook cells, run by the real TypeScript interpreter from the build (`npm test`
 * builds first; run `npm run build` before running this file alone): cells subclass `torch.nn.Module`, call
 * modules and losses without `new`, train, and print what PyTorch prints.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellSession } from './helpers/cells.js';

interface Fixture {
  reprs: Record<string, string>;
  regressions: Record<string, { losses_4: string[]; weight_repr: string; bias_repr: string }>;
  tutorials: { scalar: Record<string, string> };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/nn.json', import.meta.url), 'utf8')) as Fixture;

describe('nn and optim in notebook cells', () => {
  let cells: CellSession;
  const run = (code: string) => cells.run(code);

  beforeAll(async () => {
    cells = await CellSession.start();
  });

  afterAll(async () => {
    await cells?.shutdown();
  });

  it('MSELoss()(z, y).backward() in a cell gives w.grad = tensor(80.)', async () => {
    await run([
      'const x = torch.tensor(5); const y = torch.tensor(0.);',
      'const w = torch.tensor(1., {requires_grad: true}); const b = torch.tensor(3., {requires_grad: true});',
      'const z = x.mul(w).add(b);',
      'torch.nn.MSELoss()(z, y).backward();',
    ].join('\n'));
    expect(await run('w.grad')).toBe(fixture.tutorials.scalar.w_grad);
    expect(await run('b.grad')).toBe(fixture.tutorials.scalar.b_grad);
  });

  it('a Module subclass with a class field trains with SGD as in PyTorch', async () => {
    const model = await run([
      'class Model extends torch.nn.Module {',
      '  linear = torch.nn.Linear(1, 1);',
      '  forward(x) { return this.linear(x); }',
      '}',
      'torch.manual_seed(42);',
      'const X = torch.randn(100, 1);',
      'const Y = X.mul(3).add(2).add(torch.randn(100, 1).mul(0.1));',
      'const model = new Model();',
      'model',
    ].join('\n'));
    expect(model).toBe(fixture.reprs['Model()']);
    await run([
      'const criterion = torch.nn.MSELoss();',
      'const optimizer = torch.optim.SGD(model.parameters(), {lr: 0.1});',
      'for (let epoch = 0; epoch < 100; epoch++) {',
      '  const loss = criterion(model(X), Y);',
      '  optimizer.zero_grad();',
      '  loss.backward();',
      '  optimizer.step();',
      '  if (epoch % 10 === 0) console.log(loss.item().toFixed(4));',
      '}',
    ].join('\n'));
    const expected = fixture.regressions['SGD(lr=0.1)'];
    expect(cells.printed.join('').trim().split('\n')).toEqual(expected.losses_4.filter((_, epoch) => epoch % 10 === 0));
    expect(await run('model.linear.weight')).toBe(expected.weight_repr);
    expect(await run('model.linear.bias')).toBe(expected.bias_repr);
  });

  it('a subclass assigning its layers in the constructor registers them', async () => {
    const repr = await run([
      'class TwoLayer extends torch.nn.Module {',
      '  hidden; scale; out;',
      '  constructor() {',
      '    super();',
      '    this.hidden = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh());',
      '    this.scale = torch.nn.Parameter(torch.ones(1));',
      '    this.out = torch.nn.Linear(3, 1);',
      '  }',
      '  forward(x) { return this.out(this.hidden(x)).mul(this.scale); }',
      '}',
      'const net = new TwoLayer();',
      'net(torch.ones(4, 2)).sum().backward();',
      'net',
    ].join('\n'));
    expect(repr).toBe(fixture.reprs['TwoLayer()']);
    expect(await run('[...net.state_dict().keys()].join(" ")')).toBe("'scale hidden.0.weight hidden.0.bias out.weight out.bias'");
    expect(await run('net.scale.grad !== null && net.out.weight.grad !== null')).toBe('true');
  });
});
