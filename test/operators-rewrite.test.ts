/**
 * The pieces of the operator rewrite on their own (no interpreter, no build): the run-time dispatchers
 * against the runtime's methods and JavaScript's operators, the compile transformer's output, the position map.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { binaryOperator, Tensor, torch, unaryOperator } from '../src/index.js';
import { createCellOperators, operatorTransformer, PositionMap, type CellRewrites } from '../kernel/interpreter/operators.js';

const operators = createCellOperators({ Tensor, binaryOperator, unaryOperator });

describe('run-time dispatchers', () => {
  it('give JavaScript\'s results when no operand is a tensor: numbers, bigints, strings, objects', () => {
    const values: unknown[] = [3, -2.5, 7n, 'a', '4', true, null, undefined, [1], new Date(0)];
    const javascript: Record<string, (a: any, b: any) => unknown> = { // eslint-disable-line @typescript-eslint/no-explicit-any
      '+': (a, b) => a + b, '-': (a, b) => a - b, '*': (a, b) => a * b, '/': (a, b) => a / b, '**': (a, b) => a ** b, '%': (a, b) => a % b,
    };
    const outcome = (run: () => unknown): unknown => {
      try {
        return run();
      } catch (error) {
        return (error as Error).constructor;
      }
    };
    for (const [op, reference] of Object.entries(javascript)) {
      for (const a of values) {
        for (const b of values) {
          expect(outcome(() => operators.binary(op as '+', a, b))).toStrictEqual(outcome(() => reference(a, b)));
        }
      }
    }
    expect(operators.unary('-', 5n)).toBe(-5n);
    expect(operators.unary('+', '3')).toBe(3);
  });

  it('record PyTorch\'s grad_fn for tensors, reflected forms included', () => {
    const x = torch.tensor([1, 2], { requires_grad: true, dtype: torch.float32 });
    expect((operators.binary('*', 3, x) as Tensor).grad_fn?.name()).toBe('MulBackward0');
    expect((operators.binary('-', 1, x) as Tensor).grad_fn?.name()).toBe('RsubBackward1');
    expect((operators.binary('**', x, 2) as Tensor).grad_fn?.name()).toBe('PowBackward0');
    expect((operators.unary('-', x) as Tensor).grad_fn?.name()).toBe('NegBackward0');
  });

  it('change a tensor in place (the same object) and fall back to the binary form otherwise', () => {
    const t = torch.zeros(2);
    expect(operators.inplace("+", t, 2) === t).toBe(true);
    expect(t.tolist()).toEqual([2, 2]);
    const sum = operators.inplace('+', 1, t) as Tensor;
    expect(sum === t).toBe(false);
    expect(sum.tolist()).toEqual([3, 3]);
    expect(operators.inplace('+', 'a', 1)).toBe('a1');
    const holder: Record<string, unknown> = { w: torch.ones(2) };
    const before = holder.w;
    operators.inplaceMember('*', holder, 'w', 3);
    expect(holder.w === before).toBe(true);
    expect((holder.w as Tensor).tolist()).toEqual([3, 3]);
  });
});

describe('compile transformer', () => {
  const compile = (code: string, rewrites: CellRewrites): string => ts.transpileModule(code, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    transformers: { before: [operatorTransformer(rewrites, '__rt')] },
  }).outputText;
  const span = (code: string, text: string): string => `${code.indexOf(text)}:${code.indexOf(text) + text.length}`;

  it('rewrites only the spans it is given, innermost first, and float literals as boxed numbers', () => {
    const code = 'const z = x * w + b; const n = 1 + 2; const t = torch.tensor(2.);';
    const output = compile(code, {
      operators: new Map([[span(code, 'x * w'), 'tensor'], [span(code, 'x * w + b'), 'tensor']]),
      floats: new Set([span(code, '2.')]),
    });
    expect(output).toContain('const z = __rt.binary("+", __rt.binary("*", x, w), b);');
    expect(output).toContain('const n = 1 + 2;');
    expect(output).toContain('torch.tensor(new Number(2.))');
  });

  it('evaluates the object and key of a compound assignment target once', () => {
    const code = 'a = b; objects()[key()] += 1; this.w -= g; make().p *= 2; v /= 4;';
    const output = compile(code, {
      operators: new Map(['objects()[key()] += 1', 'this.w -= g', 'make().p *= 2', 'v /= 4'].map((text) => [span(code, text), 'tensor'])),
      floats: new Set(),
    });
    expect(output).toContain('__rt.inplaceMember("+", objects(), key(), 1);');
    expect(output).toContain('this.w = __rt.inplace("-", this.w, g);');
    expect(output).toContain('__rt.inplaceMember("*", make(), "p", 2);');
    expect(output).toContain('v = __rt.inplace("/", v, 4);');
  });
});

describe('position map', () => {
  it('maps copied text one to one and inserted text to its anchor', () => {
    // "x * w" rewritten as "f(x, w)": "f(" anchored at 0, "x" copied, ", " anchored at the operator, "w" copied, ")" at the end.
    const map = new PositionMap([
      { start: 0, end: 2, original: 0, copied: false },
      { start: 2, end: 3, original: 0, copied: true },
      { start: 3, end: 5, original: 2, copied: false },
      { start: 5, end: 6, original: 4, copied: true },
      { start: 6, end: 7, original: 5, copied: false },
    ], 5);
    expect(map.toOriginal(0)).toBe(0);
    expect(map.toOriginal(3)).toBe(2);
    expect(map.toOriginal(5)).toBe(4);
    expect(map.toOriginal(7, true)).toBe(5);
    expect(map.toRewritten(4)).toBe(5);
    expect(map.toRewritten(0)).toBe(2);
  });
});
