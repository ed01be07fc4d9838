/**
 * Python's operators on tensors, for the kernel's cell transform: `a * b` in a cell can become
 * `binaryOperator('*', a, b)`, which does what Python does with `__mul__`/`__rmul__` (so `2 - x` records
 * RsubBackward1 and `2 / x` records ReciprocalBackward0 then MulBackward0, as in PyTorch) and falls back to
 * plain JavaScript arithmetic when neither operand is a tensor.
 */
import { TypeError_ } from './errors.js';
import { Tensor } from './tensor.js';
import { isScalar, type Scalar } from './ops/common.js';
import * as P from './ops/pointwise.js';
import { matmul } from './ops/linalg.js';

/** The binary operators `binaryOperator` understands. */
export type BinaryOperator = '+' | '-' | '*' | '/' | '**' | '%' | '@' | '<' | '<=' | '>' | '>=' | '==' | '!=';

type Operand = Tensor | Scalar;

const mirrored: Partial<Record<BinaryOperator, BinaryOperator>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=', '==': '==', '!=': '!=' };
const comparisons = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '!=': 'ne' } as const;

function typeName(value: unknown): string {
  if (value instanceof Tensor) return 'Tensor';
  if (isScalar(value)) return typeof value === 'boolean' ? 'bool' : Number.isInteger(Number(value)) && !(value instanceof Number) ? 'int' : 'float';
  return value === null ? 'NoneType' : typeof value;
}

function unsupported(op: string, a: unknown, b: unknown): TypeError_ {
  return new TypeError_(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

/** JavaScript's own operator on values none of which is a tensor (strings and bigints included). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function plain(op: BinaryOperator, a: any, b: any): unknown {
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case '/': return a / b;
    case '**': return a ** b;
    case '%': return a % b;
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
    default: throw unsupported(op, a, b);
  }
}

/** `a op b` with Python's semantics when either side is a tensor, JavaScript's otherwise. */
export function binaryOperator(op: BinaryOperator, a: unknown, b: unknown): unknown {
  if (!(a instanceof Tensor) && !(b instanceof Tensor)) {
    return isScalar(a) && isScalar(b) ? plain(op, Number(a), Number(b)) : plain(op, a, b);
  }
  if (!(a instanceof Tensor || isScalar(a)) || !(b instanceof Tensor || isScalar(b))) throw unsupported(op, a, b);
  if (op in comparisons) {
    const [self, other, kind] = a instanceof Tensor ? [a, b as Operand, op] : [b as Tensor, a as Operand, mirrored[op]!];
    return P.compare(comparisons[kind as keyof typeof comparisons], self, other);
  }
  if (a instanceof Tensor) {
    switch (op) {
      case '+': return P.add(a, b as Operand);
      case '-': return P.sub(a, b as Operand);
      case '*': return P.mul(a, b as Operand);
      case '/': return P.div(a, b as Operand);
      case '**': return P.pow(a, b as Operand);
      case '%': return P.remainder(a, b as Operand);
      case '@':
        if (!(b instanceof Tensor)) throw unsupported(op, a, b);
        return matmul(a, b);
    }
  }
  const self = b as Tensor;
  const other = a as Scalar;
  switch (op) {
    case '+': return P.add(self, other);
    case '-': return P.rsub(self, other);
    case '*': return P.mul(self, other);
    case '/': return P.mul(P.reciprocal(self), other);
    case '**': return P.pow(other, self);
    case '%': return P.remainder(other, self);
    default: throw unsupported(op, a, b);
  }
}

/** `-a` (NegBackward0 for a tensor) or `+a`, JavaScript's for numbers. */
export function unaryOperator(op: '-' | '+', a: unknown): unknown {
  if (a instanceof Tensor) return op === '-' ? P.neg(a) : a;
  return op === '-' ? -Number(a) : +Number(a);
}
