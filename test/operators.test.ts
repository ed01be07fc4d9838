/**
 * Arithmetic operators on tensors in cells (issue 6), through the real interpreter from the build (`npm test`
 * builds first; run `npm run build` before running this file alone): every operator against its method
 * form, PyTorch's outputs from tools/fixtures/gen_operators.py, ordinary JavaScript arithmetic untouched,
 * type errors and completion through the rewrite, and float literals.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CellSession } from './helpers/cells.js';

interface Fixture {
  scalar_tutorial: { z: string; loss: string; w_grad: string; b_grad: string };
  expressions: Record<string, { repr: string; grad_fn: string; grad: string }>;
  float_literals: Record<string, string>;
  leaf_in_place: string;
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/operators.json', import.meta.url), 'utf8')) as Fixture;

describe('operators on tensors in cells', () => {
  let cells: CellSession;
  const run = (code: string) => cells.run(code);
  const execute = (code: string) => cells.execute(code);

  beforeAll(async () => {
    cells = await CellSession.start();
  });

  afterAll(async () => {
    await cells?.shutdown();
  });

  it('runs the scalar tutorial written as PyTorch writes it', async () => {
    await run([
      'const x = torch.tensor(5);',
      'const y = torch.tensor(0.);',
      'const w = torch.tensor(1., {requires_grad: true});',
      'const b = torch.tensor(3., {requires_grad: true});',
      'const z = x * w + b;',
      'const loss = (z - y) ** 2;',
      'loss.backward();',
    ].join('\n'));
    expect(await run('z')).toBe(fixture.scalar_tutorial.z);
    expect(await run('loss')).toBe(fixture.scalar_tutorial.loss);
    expect(await run('w.grad')).toBe(fixture.scalar_tutorial.w_grad);
    expect(await run('b.grad')).toBe(fixture.scalar_tutorial.b_grad);
  });

  const methodForms: Record<string, string> = {
    '3 * x + 2': 'x.mul(3).add(2)',
    '1 - x': 'x.rsub(1)',
    '2 / x': 'x.reciprocal().mul(2)',
    'x ** 2': 'x.pow(2)',
    '2 ** x': 'torch.pow(2, x)',
    '-x': 'x.neg()',
    'x / 2 - x * x': 'x.div(2).sub(x.mul(x))',
    '(x - 1) ** 2 / 4': 'x.sub(1).pow(2).div(4)',
  };

  for (const [expression, method] of Object.entries(methodForms)) {
    it(`${expression}: value, grad_fn and gradient as PyTorch and as ${method}`, async () => {
      const expected = fixture.expressions[expression]!;
      await run(`let x = torch.tensor([1., 2., 4.], {requires_grad: true});\nconst out = ${expression};\nout.sum().backward();`);
      expect(await run('out')).toBe(expected.repr);
      expect(await run('out.grad_fn!.name()')).toBe(`'${expected.grad_fn}'`);
      expect(await run('x.grad')).toBe(expected.grad);
      await run(`x.grad = null;\nconst viaMethod = ${method};\nviaMethod.sum().backward();`);
      expect(await run('viaMethod')).toBe(expected.repr);
      expect(await run('x.grad')).toBe(expected.grad);
    });
  }

  it('broadcasts as the method calls do, with numbers on either side', async () => {
    await run('const m = torch.arange(6).reshape([2, 3]);\nconst row = torch.tensor([10, 20, 30]);');
    expect(await run('m * row + 1')).toBe(await run('m.mul(row).add(1)'));
    expect(await run('2 * m - row')).toBe(await run('m.mul(2).sub(row)'));
    expect(await run('(m + 1) / (row - 5)')).toBe(await run('m.add(1).div(row.sub(5))'));
  });

  it('keeps precedence and parentheses: 2 + x * 3 ** 2 and (2 + x) * 3', async () => {
    await run('const p = torch.tensor([1., 2.]);');
    expect(await run('2 + p * 3 ** 2')).toBe(await run('p.mul(9).add(2)'));
    expect(await run('(2 + p) * 3')).toBe(await run('p.add(2).mul(3)'));
    expect(await run('-(p ** 2) + -p')).toBe(await run('p.pow(2).neg().add(p.neg())'));
  });

  it('works inside functions, arrow functions, closures and classes declared in cells', async () => {
    await run([
      'type Tensor = InstanceType<typeof torch.Tensor>;',
      'function affine(t: Tensor, scale: number): Tensor { return scale * t + 1; }',
      'const square = (t: Tensor) => t ** 2;',
      'const shift = (by: number) => (t: Tensor) => t - by;',
      'class Scaler { constructor(public factor: Tensor) {} apply(t: Tensor) { return t * this.factor; } }',
      'function untyped(t) { return 3 * t + 2; }',
    ].join('\n'));
    await run('const v = torch.tensor([1., 2.]);');
    expect(await run('affine(v, 2)')).toBe(await run('v.mul(2).add(1)'));
    expect(await run('square(v)')).toBe(await run('v.pow(2)'));
    expect(await run('shift(1)(v)')).toBe(await run('v.sub(1)'));
    expect(await run('new Scaler(torch.tensor(3.)).apply(v)')).toBe(await run('v.mul(torch.tensor(3.))'));
    expect(await run('untyped(v)')).toBe(await run('v.mul(3).add(2)'));
    expect(await run('untyped(4)')).toBe('14');
  });

  it('follows results through variables declared in the same or earlier cells', async () => {
    await run('const a = torch.tensor([1., 2.]);\nconst doubled = a * 2;\nconst shifted = doubled + 1;');
    expect(await run('shifted - a')).toBe(await run('a.mul(2).add(1).sub(a)'));
  });

  it('compound assignment is in place on tensors, as Python\'s __iadd__, on variables, properties and array elements', async () => {
    await run('let t = torch.zeros(2);\nconst alias = t;\nt += 1;\nt *= 3;\nt -= 0.5;\nt /= 2;');
    expect(await run('alias')).toBe(await run('torch.zeros(2).add(1).mul(3).sub(0.5).div(2)'));
    expect(await run('alias === t')).toBe('true');
    await run([
      'class Holder { w = torch.ones(2); step(g: InstanceType<typeof torch.Tensor>) { this.w -= 0.1 * g; return this.w; } }',
      'const holder = new Holder();',
      'const before = holder.w;',
      'holder.step(torch.tensor([1., 2.]));',
      'const arr = [torch.ones(2), torch.ones(2)];',
      'let reads = 0;',
      'const index = () => { reads++; return 1; };',
      'arr[index()] *= 2;',
    ].join('\n'));
    expect(await run('holder.w')).toBe(await run('torch.ones(2).sub(torch.tensor([1., 2.]).mul(0.1))'));
    expect(await run('before === holder.w')).toBe('true');
    expect(await run('arr[1]')).toBe(await run('torch.ones(2).mul(2)'));
    expect(await run('reads')).toBe('1');
  });

  it('compound assignment on a leaf that requires grad raises PyTorch\'s error; torch.no_grad allows it', async () => {
    const outcome = await execute('let leaf = torch.ones(2, {requires_grad: true});\nleaf += 1;');
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') {
      expect(outcome.ename).toBe('RuntimeError');
      expect(outcome.evalue).toBe(fixture.leaf_in_place);
    }
    await run('torch.no_grad(() => { leaf -= 0.5; });');
    expect(await run('leaf')).toBe(await run('torch.tensor([0.5, 0.5], {requires_grad: true})'));
  });

  it('a number variable accumulating tensors becomes a tensor, as in Python', async () => {
    await run('let total: any = 0;\nfor (const t of [torch.tensor(1.), torch.tensor(2.)]) total += t;');
    expect(await run('total')).toBe(await run('torch.tensor(3.)'));
  });

  it('leaves arithmetic on numbers, bigints and strings exactly as JavaScript defines it', async () => {
    expect(await run('1 + 2 * 3 ** 2 - 7 % 4 / 2')).toBe(String(1 + 2 * 3 ** 2 - 7 % 4 / 2));
    expect(await run('10n ** 3n % 7n')).toBe(String(10n ** 3n % 7n) + 'n');
    expect(await run('"a" + 1 + 2')).toBe("'a12'");
    expect(await run('let s = "x"; s += 1; s')).toBe("'x1'");
    expect(await run('let n = 5; n -= 2; n *= 4; n')).toBe('12');
    expect(await run('-(3) + +"4"')).toBe('1');
    const dynamic = 'const anything: any = "5";\n';
    expect(await run(`${dynamic}anything + 1`)).toBe("'51'");
    expect(await run(`${dynamic}anything * 2`)).toBe('10');
  });

  it('mixes tensors and strings only where Python would: an error', async () => {
    const outcome = await execute('const q = torch.ones(2);\nq + "a";');
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') {
      expect(outcome.ename).toBe('TSError');
      expect(outcome.evalue).toBe("Line 2, Column 1: Operator '+' cannot be applied to types 'Tensor' and 'string'.");
    }
  });

  it('points type errors inside rewritten expressions at the cell\'s line and column', async () => {
    const outcome = await execute('const r = torch.ones(2);\nconst u = r * 2 +\n  r.nosuch;');
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') {
      expect(outcome.evalue).toMatch(/^Line 3, Column 5: Property 'nosuch' does not exist on type 'Tensor'/);
    }
  });

  it('keeps TypeScript\'s syntax error for an operator missing an operand', async () => {
    const outcome = await execute('const m1 = torch.ones(2);\nconst m2 = m1 * ;');
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') expect(outcome.evalue.split('\n')[0]).toBe('Line 2, Column 17: Expression expected.');
  });

  it('follows a long chain of results in one cell', async () => {
    const lines = ['const c0 = torch.ones(2, {dtype: torch.float64});', ...Array.from({ length: 30 }, (_, i) => `const c${i + 1} = c${i} * 2 + 1;`)];
    await run(lines.join('\n'));
    expect(await run('c30.sum().item()')).toBe(String(2 * (2 ** 31 - 1)));
  });

  it('types operator results as Tensor: completion and inspect', async () => {
    const code = 'const g = torch.ones(2);\nconst h = g * 2 + 1;\nh.requires_';
    const completion = await cells.interpreter.complete(code, [...code].length);
    expect(completion.matches).toContain('requires_grad');
    const inside = 'const g1 = torch.ones(2);\nconst h1 = (g1 * 2).requires_grad || 3 * g1.grad_';
    expect((await cells.interpreter.complete(inside, [...inside].length)).matches).toContain('grad_fn');
    const parenthesised = 'const g3 = torch.ones(2);\n(g3 - 1).sq';
    expect((await cells.interpreter.complete(parenthesised, [...parenthesised].length)).matches).toContain('square');
    const inspected = await cells.interpreter.inspect('const g2 = torch.ones(2);\nconst h2 = 3 * g2 - 1;\nh2', 'const g2 = torch.ones(2);\nconst h2 = 3 * g2 - 1;\nh'.length, 0);
    expect(inspected.found).toBe(true);
    expect(inspected.data['text/plain']).toMatch(/h2: Tensor/);
  });

  it('evaluates user expressions with operators', async () => {
    await run('const ue = torch.tensor([1., 2.]);');
    const outcome = await cells.interpreter.execute('1', cells.sink, { silent: false, storeHistory: false, allowStdin: false, userExpressions: { doubled: 'ue * 2 + 1' } });
    expect(outcome.status).toBe('ok');
    if (outcome.status !== 'ok') return;
    const doubled = outcome.userExpressions.doubled;
    expect(doubled?.status).toBe('ok');
    if (doubled?.status === 'ok') expect(doubled.data['text/plain']).toBe(await run('ue.mul(2).add(1)'));
  });

  it('reports run-time errors of operators at the cell line', async () => {
    const outcome = await execute('const left = torch.ones(2);\nconst right = torch.ones(3);\nconst bad = left * right;');
    expect(outcome.status).toBe('error');
    if (outcome.status === 'error') {
      expect(outcome.ename).toBe('RuntimeError');
      expect(outcome.traceback.join('\n')).toMatch(/line 3/);
    }
  });

  for (const [expression, expected] of Object.entries(fixture.float_literals)) {
    it(`${expression} is ${expected} (float literals in calls to the runtime)`, async () => {
      expect(await run(expression)).toBe(expected);
    });
  }

  it('leaves float literals elsewhere as plain numbers', async () => {
    expect(await run('typeof 2.')).toBe("'number'");
    expect(await run('[1., 2.].map((v) => typeof v).join()')).toBe("'number,number'");
    expect(await run('Math.max(1., 2.)')).toBe('2');
  });
});
