/** The optimizer base class: parameter groups, per-parameter state, zero_grad, state_dict and PyTorch's repr. */
import { float32, type Storage } from '../dtype.js';
import { TypeError_, ValueError } from '../errors.js';
import { enable_grad, no_grad } from '../autograd/grad_mode.js';
import { fma, fmaf } from '../random.js';
import { Tensor, fromBuffer } from '../tensor.js';
import { resetGrad } from '../nn/module.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/** A hyperparameter value: a number, a flag, a pair like Adam's betas, or null (Python's None). */
export type Hyperparameter = number | boolean | null | readonly number[];

/** A parameter group: its parameters and the hyperparameters they are updated with (settable, e.g. `lr`). */
export interface ParamGroup {
  params: Tensor[];
  [hyperparameter: string]: Hyperparameter | Tensor[] | undefined;
}

/** A group as given to the constructor: parameters plus the hyperparameters overriding the defaults. */
export interface ParamGroupSpec {
  params: Iterable<Tensor> | Tensor;
  [hyperparameter: string]: unknown;
}

/** What an optimizer keeps per parameter (momentum buffers, moment estimates, step counts). */
export type ParamState = Record<string, Tensor | null>;

/** `optimizer.state_dict()`: the state by parameter index, and the groups with parameter indices. */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: Record<string, unknown>[];
}

/** Python's repr of a hyperparameter: `0.001`, `1e-08`, `True`, `None`, `(0.9, 0.999)`. */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `(${value.map(pythonRepr).join(', ')}${value.length === 1 ? ',' : ''})`;
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    if (value !== 0 && Number.isFinite(value) && (magnitude < 1e-4 || magnitude >= 1e16)) {
      return value.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
    }
    return String(value);
  }
  return String(value);
}

/** The float arithmetic of one dtype as PyTorch's CPU kernels do it: rounded per op, alpha-adds fused. */
export interface Arithmetic {
  /** Rounds a double to the dtype (float32) or leaves it (float64). */
  round(value: number): number;
  /** `c + a * b` with one rounding, as `add_(other, alpha)` and `addcmul_` compute it. */
  fused(a: number, b: number, c: number): number;
}

const float32Arithmetic: Arithmetic = { round: Math.fround, fused: fmaf };
// A fused float32 add lands on a rounding tie only now and then; taking that path once here gives the JIT
// its feedback, so that optimized update loops do not drop to the interpreter (deoptimize) when one occurs.
for (const sign of [1, -1]) fmaf(sign * 2 ** -12, 2 ** -12, 1);
const float64Arithmetic: Arithmetic = { round: (value) => value, fused: fma };

/** The arithmetic of `tensor`'s dtype. */
export function arithmeticOf(tensor: Tensor): Arithmetic {
  return tensor.dtype === float32 ? float32Arithmetic : float64Arithmetic;
}

/** The elements of `tensor` in row-major order: its own storage when contiguous, else a copy. */
export function valuesOf(tensor: Tensor): Storage {
  if (tensor.is_contiguous()) return tensor._buffer.subarray(tensor._offset, tensor._offset + tensor.numel());
  return tensor.toTypedArray();
}

/** A new zero-filled (or copied) contiguous state tensor shaped like `like`, detached from any graph. */
export function stateTensor(like: Tensor, values?: Storage): Tensor {
  const buffer = like._dtype.allocate(like.numel());
  if (values !== undefined) buffer.set(values);
  return fromBuffer(buffer, like._shape, like._dtype);
}

/** Applies `update` to the parameter's elements in place (row-major), bumping its version as an in-place op does. */
export function updateInPlace(param: Tensor, update: (values: Storage) => void): void {
  const values = valuesOf(param);
  update(values);
  if (!param.is_contiguous()) {
    const source = fromBuffer(values, param._shape, param._dtype);
    no_grad(() => param.data.copy_(source));
  }
  param._versionCounter.value++;
}

function isTensorIterable(value: unknown): value is Iterable<unknown> {
  return value !== null && typeof value === 'object' && Symbol.iterator in value;
}

/** Base class of the optimizers: holds parameter groups and per-parameter state; subclasses define `step`. */
export abstract class Optimizer {
  /** Hyperparameters a group takes when it does not name them. */
  readonly defaults: Record<string, Hyperparameter>;
  /** The parameter groups, in order; their hyperparameters may be changed between steps. */
  readonly param_groups: ParamGroup[] = [];
  /** Per-parameter state, created lazily by `step`. */
  readonly state = new Map<Tensor, ParamState>();

  /** @internal */
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupSpec> | Tensor, defaults: Record<string, Hyperparameter>) {
    this.defaults = defaults;
    if (params instanceof Tensor || !isTensorIterable(params)) {
      const name = params instanceof Tensor ? params.dtype.legacyTypeName : typeof params;
      throw new TypeError_(`params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${name}`);
    }
    const groups = [...params];
    if (groups.length === 0) throw new ValueError('optimizer got an empty parameter list');
    const specs = groups[0] instanceof Tensor ? [{ params: groups as Tensor[] }] : (groups as ParamGroupSpec[]);
    for (const spec of specs) this.add_param_group(spec);
  }

  /** Adds a group of parameters (with hyperparameters overriding the defaults), e.g. for a layer being unfrozen. */
  add_param_group(spec: ParamGroupSpec): void {
    const params = spec.params instanceof Tensor ? [spec.params] : [...spec.params];
    for (const param of params) {
      if (!(param instanceof Tensor)) {
        throw new TypeError_(`optimizer can only optimize Tensors, but one of the params is ${typeof param}`);
      }
      if (!param.is_leaf) throw new ValueError("can't optimize a non-leaf Tensor");
    }
    const group: ParamGroup = { params };
    for (const [name, value] of Object.entries(this.defaults)) {
      const given = spec[name];
      if (given === undefined && value === REQUIRED) {
        throw new ValueError(`parameter group didn't specify a value of required optimization parameter ${name}`);
      }
      group[name] = (given ?? value) as Hyperparameter;
    }
    const existing = new Set(this.param_groups.flatMap((other) => other.params));
    if (params.some((param) => existing.has(param))) throw new ValueError('some parameters appear in more than one parameter group');
    this.param_groups.push(group);
  }

  /** Resets the gradients of all optimized parameters: to null by default (PyTorch 2), or to zeros. */
  zero_grad(setToNone: boolean | { set_to_none?: boolean } = true): void {
    const toNone = typeof setToNone === 'boolean' ? setToNone : setToNone.set_to_none ?? true;
    for (const group of this.param_groups) for (const param of group.params) resetGrad(param, toNone);
  }

  /** Performs one update of every parameter that has a gradient; `closure` re-evaluates the loss first. */
  step(closure?: () => Tensor): Tensor | null {
    const loss = closure === undefined ? null : enable_grad(closure);
    for (const group of this.param_groups) this.updateGroup(group);
    return loss;
  }

  /** @internal Updates the parameters of one group from their gradients. */
  protected abstract updateGroup(group: ParamGroup): void;

  /** @internal The state of `param`, created by `init` on first use. */
  protected stateOf(param: Tensor, init: () => ParamState): ParamState {
    let entry = this.state.get(param);
    if (entry === undefined) {
      entry = init();
      this.state.set(param, entry);
    }
    return entry;
  }

  /** The state by parameter index (tensors as they are) and the groups with `params` as index lists. */
  state_dict(): OptimizerStateDict {
    const indices = new Map<Tensor, number>();
    const param_groups = this.param_groups.map((group) => {
      const packed: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(group)) if (name !== 'params') packed[name] = value;
      packed.params = group.params.map((param) => {
        if (!indices.has(param)) indices.set(param, indices.size);
        return indices.get(param)!;
      });
      return packed;
    });
    const state: Record<number, ParamState> = {};
    for (const [param, index] of indices) {
      const entry = this.state.get(param);
      if (entry !== undefined) state[index] = { ...entry };
    }
    return { state, param_groups };
  }

  /** Restores hyperparameters and state saved by `state_dict` (the groups must hold as many parameters). */
  load_state_dict(saved: OptimizerStateDict): void {
    if (saved.param_groups.length !== this.param_groups.length) {
      throw new ValueError('loaded state dict has a different number of parameter groups');
    }
    saved.param_groups.forEach((savedGroup, index) => {
      if ((savedGroup.params as number[]).length !== this.param_groups[index].params.length) {
        throw new ValueError("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
      }
    });
    this.state.clear();
    saved.param_groups.forEach((savedGroup, groupIndex) => {
      const group = this.param_groups[groupIndex];
      for (const [name, value] of Object.entries(savedGroup)) if (name !== 'params') group[name] = value as Hyperparameter;
      (savedGroup.params as number[]).forEach((savedIndex, position) => {
        const entry = saved.state[savedIndex];
        if (entry === undefined) return;
        const param = group.params[position];
        const copy: ParamState = {};
        for (const [key, tensor] of Object.entries(entry)) copy[key] = tensor === null ? null : stateTensor(tensor, valuesOf(tensor));
        this.state.set(param, copy);
      });
    });
  }

  /** `SGD (\nParameter Group 0\n    lr: 0.1\n...)`, hyperparameters sorted by name as PyTorch prints them. */
  toString(): string {
    const lines = [`${this.constructor.name} (`];
    this.param_groups.forEach((group, index) => {
      if (index > 0) lines.push('');
      lines.push(`Parameter Group ${index}`);
      for (const name of Object.keys(group).filter((key) => key !== 'params').sort()) {
        lines.push(`    ${name}: ${pythonRepr(group[name])}`);
      }
    });
    lines.push(')');
    return lines.join('\n');
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

/** Marks a hyperparameter every group must give (PyTorch's `required`), such as SGD's `lr` in PyTorch 1.13. */
export const REQUIRED: Hyperparameter = Object.freeze([]) as readonly number[];

/** The group's hyperparameter `name` as a number. */
export function numberOf(group: ParamGroup, name: string): number {
  return Number(group[name]);
}
