import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import torch, { Tensor } from '../src/index.js';
import * as nn from '../src/nn/index.js';

interface LossCase {
  loss: string;
  reduction: 'mean' | 'sum' | 'none';
  input: number[][];
  target: number[] | number[][];
  target_dtype: string;
  repr: string;
  grad: number[];
}

interface Fixture {
  reprs: Record<string, string>;
  seeded_linears: { seed: number; in: number; out: number; dtype?: 'float64'; weight: number[]; bias: number[]; weight_repr: string | null }[];
  inits: Record<string, number[]>;
  state_dicts: {
    sequential: Record<string, string[]>;
    two_layer: Record<string, string[]>;
    load_errors: Record<string, string>;
  };
  linear_grad_fns: Record<string, string>;
  losses: LossCase[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/nn.json', import.meta.url), 'utf8')) as Fixture;

const values = (t: Tensor): number[] => Array.from(t.detach().reshape(-1).toTypedArray());

/** The fixture's user subclass, written with a class field. */
class Model extends nn.Module {
  linear = nn.Linear(1, 1);

  override forward(x: Tensor): Tensor {
    return this.linear(x);
  }
}

/** The fixture's second subclass, written with a constructor; its own parameter is registered after a child. */
class TwoLayer extends nn.Module {
  hidden: nn.Sequential;
  scale: nn.Parameter;
  out: nn.Linear;

  constructor() {
    super();
    this.hidden = nn.Sequential(nn.Linear(2, 3), nn.Tanh());
    this.scale = nn.Parameter(torch.ones(1));
    this.out = nn.Linear(3, 1);
  }

  override forward(x: Tensor): Tensor {
    return this.out(this.hidden(x)).mul(this.scale);
  }
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('module reprs match PyTorch', () => {
  torch.manual_seed(0);
  const built: Record<string, { toString(): string }> = {
    'Linear(1, 1)': nn.Linear(1, 1),
    'Linear(5, 3, bias=False)': nn.Linear(5, 3, { bias: false }),
    'Sequential(Linear(2, 4), ReLU(), Linear(4, 3))': nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 3)),
    'Sequential(Sequential(Linear(2, 2), Sigmoid()), Flatten(), Identity())': nn.Sequential(
      nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), nn.Flatten(), nn.Identity(),
    ),
    'Model()': new Model(),
    'TwoLayer()': new TwoLayer(),
    'ReLU()': nn.ReLU(),
    'Sigmoid()': new nn.Sigmoid(),
    'Tanh()': nn.Tanh(),
    'LeakyReLU()': nn.LeakyReLU(),
    'LeakyReLU(0.2)': nn.LeakyReLU(0.2),
    'ELU()': nn.ELU(),
    'ELU(0.5)': nn.ELU({ alpha: 0.5 }),
    'SiLU()': nn.SiLU(),
    'GELU()': nn.GELU(),
    "GELU(approximate='tanh')": nn.GELU({ approximate: 'tanh' }),
    'Softplus()': nn.Softplus(),
    'Softplus(2, 10)': nn.Softplus(2, 10),
    'Softmax(dim=1)': nn.Softmax({ dim: 1 }),
    'Softmax()': nn.Softmax(),
    'Identity()': nn.Identity(),
    'Flatten()': nn.Flatten(),
    'Flatten(0, 1)': nn.Flatten(0, 1),
    'MSELoss()': nn.MSELoss(),
    "MSELoss(reduction='sum')": nn.MSELoss({ reduction: 'sum' }),
    'L1Loss()': nn.L1Loss(),
    'CrossEntropyLoss()': nn.CrossEntropyLoss(),
    'BCELoss()': nn.BCELoss(),
    'BCEWithLogitsLoss()': nn.BCEWithLogitsLoss(),
    'Parameter(tensor([1., 2.]))': nn.Parameter(torch.tensor([1, 2], { dtype: torch.float32 })),
    'Parameter(tensor([1., 2.]), requires_grad=False)': new nn.Parameter(torch.tensor([1.5, 2]).sub(torch.tensor([0.5, 0])), false),
  };
  for (const [name, value] of Object.entries(built)) {
    it(name, () => expect(String(value)).toBe(fixture.reprs[name]));
  }

  it('state_dict prints as an OrderedDict', () => {
    torch.manual_seed(0);
    expect(String(nn.Linear(2, 1).state_dict())).toBe(fixture.reprs['state_dict(Linear(2, 1))']);
  });

  it('Embedding prints its sizes and padding row, and draws its rows from N(0, 1) with the padding row zeroed', () => {
    torch.manual_seed(0);
    const embedding = nn.Embedding(5, 3, { padding_idx: 1 });
    expect(String(embedding)).toBe(fixture.reprs['Embedding(5, 3, padding_idx=1)']);
    expect(String(embedding.weight)).toBe(fixture.reprs['Embedding(5, 3, padding_idx=1).weight']);
    expect(String(nn.Embedding(27, 10))).toBe(fixture.reprs['Embedding(27, 10)']);
    expect(nn.Embedding(5, 3, { padding_idx: -1 }).padding_idx).toBe(4);
  });

  it('Jupyter display gives the repr and the parameter table', () => {
    const model = nn.Sequential(nn.Linear(2, 4), nn.ReLU());
    const bundle = (model as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for('Jupyter.display')]();
    expect(bundle['text/plain']).toBe(String(model));
    expect(bundle['text/html']).toContain('0.weight');
    const parameterBundle = (model[0] as nn.Linear).weight[Symbol.for('Jupyter.display') as never] as unknown as () => Record<string, string>;
    expect(parameterBundle.call((model[0] as nn.Linear).weight)['text/plain']).toMatch(/^Parameter containing:\ntensor/);
  });
});

describe('nn.Linear initialisation', () => {
  for (const c of fixture.seeded_linears) {
    it(`manual_seed(${c.seed}); Linear(${c.in}, ${c.out}${c.dtype ? `, dtype=${c.dtype}` : ''}) draws PyTorch's weights`, () => {
      torch.manual_seed(c.seed);
      const layer = nn.Linear(c.in, c.out, { dtype: c.dtype === 'float64' ? torch.float64 : undefined });
      expect(values(layer.weight)).toEqual(c.weight);
      expect(values(layer.bias!)).toEqual(c.bias);
      if (c.weight_repr !== null) expect(String(layer.weight)).toBe(c.weight_repr);
    });
  }

  it('records AddmmBackward0 for 2-d input and the grad_fns PyTorch records otherwise', () => {
    torch.manual_seed(0);
    const layer = nn.Linear(2, 1);
    expect(layer(torch.randn(2)).grad_fn!.name()).toBe(fixture.linear_grad_fns['1d']);
    expect(layer(torch.randn(3, 2)).grad_fn!.name()).toBe(fixture.linear_grad_fns['2d']);
    expect(layer(torch.randn(4, 3, 2)).grad_fn!.name()).toBe(fixture.linear_grad_fns['3d']);
    expect(layer(torch.randn(4, 3, 2).transpose(0, 1)).grad_fn!.name()).toBe(fixture.linear_grad_fns['3d_transposed']);
    expect(nn.Linear(2, 1, false)(torch.randn(3, 2)).grad_fn!.name()).toBe(fixture.linear_grad_fns['no_bias_2d']);
  });
});

describe('nn.init', () => {
  const calls: Record<string, (t: Tensor) => Tensor> = {
    kaiming_uniform_: (t) => nn.init.kaiming_uniform_(t),
    'kaiming_uniform_(a=sqrt(5))': (t) => nn.init.kaiming_uniform_(t, { a: Math.sqrt(5) }),
    'kaiming_uniform_(mode=fan_out, nonlinearity=relu)': (t) => nn.init.kaiming_uniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }),
    xavier_uniform_: (t) => nn.init.xavier_uniform_(t),
    'xavier_uniform_(gain=2)': (t) => nn.init.xavier_uniform_(t, 2),
    'uniform_(-2, 3)': (t) => nn.init.uniform_(t, -2, 3),
    'normal_(1, 0.5)': (t) => nn.init.normal_(t, 1, 0.5),
    'constant_(0.25)': (t) => nn.init.constant_(t, 0.25),
    zeros_: nn.init.zeros_,
    ones_: nn.init.ones_,
  };
  for (const [name, call] of Object.entries(calls)) {
    it(name, () => {
      torch.manual_seed(3);
      expect(values(call(torch.empty(4, 6)))).toEqual(fixture.inits[name]);
    });
  }

  it('refuses fans of 1-d tensors with PyTorch\'s error', () => {
    const error = errorOf(() => nn.init.xavier_uniform_(torch.empty(3)));
    expect(error.name).toBe('ValueError');
    expect(error.message).toBe('Fan in and fan out can not be computed for tensor with fewer than 2 dimensions');
  });
});

describe('registration, traversal and state_dict', () => {
  function keysOf(module: nn.Module): Record<string, string[]> {
    return {
      state_dict_keys: [...module.state_dict().keys()],
      named_parameters: [...module.named_parameters()].map(([name]) => name),
      named_modules: [...module.named_modules()].map(([name]) => name),
      named_children: [...module.named_children()].map(([name]) => name),
    };
  }

  it('names a nested Sequential as PyTorch does', () => {
    const seq = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4), nn.Tanh()), nn.Linear(4, 1));
    expect(keysOf(seq)).toEqual(fixture.state_dicts.sequential);
  });

  it('lists own parameters before the children\'s, in assignment order', () => {
    expect(keysOf(new TwoLayer())).toEqual(fixture.state_dicts.two_layer);
  });

  it('registers class fields, constructor assignments, register_parameter and add_module', () => {
    const model = new Model();
    const [weight, bias, ...rest] = model.parameters();
    expect([weight === model.linear.weight, bias === model.linear.bias, rest.length]).toEqual([true, true, 0]);
    const extra = nn.Parameter(torch.zeros(2));
    model.register_parameter('extra', extra);
    model.add_module('act', nn.ReLU());
    expect((model as unknown as { extra: Tensor }).extra).toBe(extra);
    expect([...model.named_children()].map(([name]) => name)).toEqual(['linear', 'act']);
    expect([...model.named_parameters()].map(([name]) => name)).toEqual(['extra', 'linear.weight', 'linear.bias']);
    delete (model as unknown as { extra?: Tensor }).extra;
    expect([...model.named_parameters()].map(([name]) => name)).toEqual(['linear.weight', 'linear.bias']);
  });

  it('lists a shared parameter or module once', () => {
    const shared = nn.Linear(2, 2);
    const seq = nn.Sequential(shared, nn.ReLU(), shared);
    expect([...seq.parameters()]).toHaveLength(2);
    expect([...seq.modules()]).toHaveLength(3);
    expect([...seq.state_dict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
  });

  it('refuses a plain tensor in a parameter slot with PyTorch\'s TypeError', () => {
    const layer = nn.Linear(2, 1);
    const error = errorOf(() => { (layer as unknown as { weight: Tensor }).weight = torch.zeros(1, 2); });
    expect(error.name).toBe('TypeError');
    expect(error.message).toBe("cannot assign 'torch.FloatTensor' as parameter 'weight' (torch.nn.Parameter or None expected)");
  });

  it('state_dict holds detached tensors sharing the parameters\' storage', () => {
    const layer = nn.Linear(2, 1);
    const state = layer.state_dict();
    expect(state.get('weight')!.requires_grad).toBe(false);
    expect(state.get('weight')!.equal(layer.weight)).toBe(true);
  });

  it('load_state_dict copies values and reports PyTorch\'s errors', () => {
    torch.manual_seed(0);
    const source = nn.Linear(2, 1);
    const target = nn.Linear(2, 1);
    expect(String(target.load_state_dict(source.state_dict()))).toBe('<All keys matched successfully>');
    expect(values(target.weight)).toEqual(values(source.weight));
    expect(target.weight.requires_grad).toBe(true);
    const missing = errorOf(() => nn.Linear(2, 1).load_state_dict({ weight: torch.zeros(1, 2), foo: torch.zeros(1) }));
    expect(missing.name).toBe('RuntimeError');
    expect(missing.message).toBe(fixture.state_dicts.load_errors.missing_and_unexpected);
    const mismatch = errorOf(() => nn.Linear(2, 1).load_state_dict({ weight: torch.zeros(2, 2), bias: torch.zeros(1) }));
    expect(mismatch.message).toBe(fixture.state_dicts.load_errors.size_mismatch);
    const loose = nn.Linear(2, 1).load_state_dict({ weight: torch.zeros(1, 2) }, { strict: false });
    expect(loose.missing_keys).toEqual(['bias']);
  });

  it('train/eval set training recursively; apply visits children first', () => {
    const seq = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()));
    expect(seq.eval()).toBe(seq);
    expect([...seq.modules()].every((module) => !module.training)).toBe(true);
    seq.train();
    expect([...seq.modules()].every((module) => module.training)).toBe(true);
    const visited: string[] = [];
    seq.apply((module) => visited.push(module.constructor.name));
    expect(visited).toEqual(['Linear', 'ReLU', 'Sequential', 'Sequential']);
  });

  it('zero_grad sets gradients to None by default, or zeroes them', () => {
    const layer = nn.Linear(2, 1);
    layer(torch.ones(3, 2)).sum().backward();
    expect(layer.weight.grad).not.toBeNull();
    layer.zero_grad({ set_to_none: false });
    expect(values(layer.weight.grad!)).toEqual([0, 0]);
    layer.zero_grad();
    expect(layer.weight.grad).toBeNull();
  });

  it('double() and float() convert parameters in place, keeping the Parameter objects', () => {
    const layer = nn.Linear(2, 1);
    const weight = layer.weight;
    layer.double();
    expect(layer.weight).toBe(weight);
    expect(weight.dtype).toBe(torch.float64);
    expect(layer(torch.ones(1, 2, { dtype: torch.float64 })).dtype).toBe(torch.float64);
    layer.to(torch.float32);
    expect(weight.dtype).toBe(torch.float32);
  });

  it('Sequential indexes, iterates, has a length and appends', () => {
    const seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU());
    expect(seq.length).toBe(2);
    expect(seq[1]).toBeInstanceOf(nn.ReLU);
    expect(seq.at(-1)).toBe(seq[1]);
    expect([...seq].map((module) => module.constructor.name)).toEqual(['Linear', 'ReLU']);
    seq.append(nn.Linear(3, 1));
    expect(seq(torch.ones(4, 2)).shape).toEqual([4, 1]);
    const named = nn.Sequential(new Map([['fc', nn.Linear(1, 1)], ['act', nn.Tanh()]]));
    expect([...named.state_dict().keys()]).toEqual(['fc.weight', 'fc.bias']);
  });

  it('a module without forward raises NotImplementedError', () => {
    const error = errorOf(() => nn.Module()(torch.ones(1)));
    expect(error.name).toBe('NotImplementedError');
    expect(error.message).toBe('Module [Module] is missing the required "forward" function');
  });

  it('built-in modules can be subclassed, with super.forward', () => {
    class ReLULinear extends nn.Linear {
      override forward(x: Tensor): Tensor {
        return super.forward(x).relu();
      }
    }
    torch.manual_seed(0);
    const layer = new ReLULinear(2, 3);
    expect(layer).toBeInstanceOf(nn.Linear);
    expect(String(layer)).toBe('ReLULinear(in_features=2, out_features=3, bias=True)');
    expect(layer(torch.ones(1, 2)).grad_fn!.name()).toBe('ReluBackward0');
    expect([...layer.state_dict().keys()]).toEqual(['weight', 'bias']);
  });

  it('modules may use the names function objects reserve', () => {
    class Named extends nn.Module {
      name = 'encoder';
      length = 3;
    }
    const module = new Named();
    expect([module.name, module.length]).toEqual(['encoder', 3]);
  });
});

describe('losses match PyTorch per reduction', () => {
  const modules: Record<string, (options: { reduction: 'mean' | 'sum' | 'none' }) => nn.Module> = {
    MSELoss: (o) => nn.MSELoss(o),
    L1Loss: (o) => nn.L1Loss(o),
    CrossEntropyLoss: (o) => nn.CrossEntropyLoss(o),
    BCELoss: (o) => nn.BCELoss(o),
    BCEWithLogitsLoss: (o) => nn.BCEWithLogitsLoss(o),
  };
  for (const c of fixture.losses) {
    it(`${c.loss} reduction=${c.reduction}`, () => {
      const input = torch.tensor(c.input, { requires_grad: true });
      const target = torch.tensor(c.target, { dtype: c.target_dtype === 'torch.int64' ? torch.int64 : torch.float32 });
      const output: Tensor = c.loss === 'nll_loss(log_softmax)'
        ? nn.functional.nll_loss(nn.functional.log_softmax(input, 1), target)
        : modules[c.loss]({ reduction: c.reduction })(input, target);
      expect(String(output)).toBe(c.repr);
      (c.reduction === 'none' ? output.sum() : output).backward();
      const grad = values(input.grad!);
      grad.forEach((g, i) => expect(g).toBeCloseTo(c.grad[i], 6));
    });
  }
});

describe('nn.functional takes Python-style arguments', () => {
  const F = nn.functional;

  it('softmax and log_softmax take dim positionally or as a keyword; without it, PyTorch\'s implicit choice with its warning', async () => {
    const x = torch.tensor([[1., 2., 3.], [1., 1., 1.]]);
    expect(values(F.softmax(x, 1))).toEqual(values(x.softmax(1)));
    expect(values(F.log_softmax(x, { dim: 0 }))).toEqual(values(x.log_softmax(0)));
    const warnings: string[] = [];
    const listener = (warning: Error): void => void warnings.push(warning.message);
    process.on('warning', listener);
    expect(values(F.softmax(x))).toEqual(values(x.softmax(1)));
    expect(values(nn.Softmax()(torch.tensor([1., 2.])))).toEqual(values(torch.tensor([1., 2.]).softmax(0)));
    // Node delivers emitted warnings on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', listener);
    expect(warnings).toContain('Implicit dimension choice for softmax has been deprecated. Change the call to include dim=X as an argument.');
  });

  it('relu with inplace overwrites its input, as nn.ReLU(inplace=True) does', () => {
    const x = torch.tensor([-1., 2.]);
    const y = nn.ReLU({ inplace: true })(x);
    expect(y).toBe(x);
    expect(values(x)).toEqual([0, 2]);
    expect(String(nn.ReLU(true))).toBe('ReLU(inplace=True)');
    expect(values(F.relu(torch.tensor([-3., 3.])))).toEqual([0, 3]);
  });

  it('linear without bias is input @ weight.T', () => {
    const input = torch.tensor([[1., 2.]]);
    const weight = torch.tensor([[3., 4.], [5., 6.]]);
    expect(values(F.linear(input, weight))).toEqual([11, 17]);
    expect(values(F.linear(input, weight, torch.tensor([1., -1.])))).toEqual([12, 16]);
  });

  it('Flatten keeps the batch dimension', () => {
    expect(nn.Flatten()(torch.zeros(2, 3, 4)).shape).toEqual([2, 12]);
    expect(nn.Flatten(0, 1)(torch.zeros(2, 3, 4)).shape).toEqual([6, 4]);
  });
});
