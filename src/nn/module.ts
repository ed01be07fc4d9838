/** `torch.nn.Module`: the base of layers and models, callable like a function and registering what it is given. */
import { DType, float32, float64 } from '../dtype.js';
import { KeyError, NotImplementedError, RuntimeError, TypeError_, ValueError } from '../errors.js';
import { sameShape } from '../ops/common.js';
import { no_grad } from '../autograd/grad_mode.js';
import { Tensor } from '../tensor.js';
import { Parameter } from './parameter.js';
import { moduleBundle } from '../viz/tensorView.js';

const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const jupyterDisplay = Symbol.for('Jupyter.display');

/** Clears a tensor's gradient as `zero_grad` does: to null, or zeroed in place and detached from any graph. */
export function resetGrad(tensor: Tensor, setToNone: boolean): void {
  const grad = tensor._grad;
  if (grad === null) return;
  if (setToNone) {
    tensor._grad = null;
    return;
  }
  if (grad.grad_fn !== null) grad.detach_();
  else grad.requires_grad_(false);
  grad.zero_();
}

/** A module's state: parameter names with dotted prefixes mapped to detached tensors, in registration order. */
export class StateDict extends Map<string, Tensor> {
  /** `OrderedDict([('weight', tensor(...)), ...])`, as Python prints it. */
  override toString(): string {
    const items = [...this].map(([key, tensor]) => `('${key}', ${tensor})`);
    return `OrderedDict([${items.join(', ')}])`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

/** What `load_state_dict` reports: the keys it missed and the keys it did not expect. */
export class IncompatibleKeys {
  /** @internal */
  constructor(
    readonly missing_keys: string[],
    readonly unexpected_keys: string[],
  ) {}

  /** `<All keys matched successfully>` or PyTorch's named tuple. */
  toString(): string {
    if (this.missing_keys.length === 0 && this.unexpected_keys.length === 0) return '<All keys matched successfully>';
    const list = (keys: string[]): string => `[${keys.map((key) => `'${key}'`).join(', ')}]`;
    return `_IncompatibleKeys(missing_keys=${list(this.missing_keys)}, unexpected_keys=${list(this.unexpected_keys)})`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }
}

/** Module instances can be called like functions: `model(x)` runs `model.forward(x)`. */
export interface Module {
  /** Runs `forward` with these arguments. */
  (...args: any[]): any;
}

/** PyTorch's `torch.typename`: the legacy tensor type name, or the JS type of anything else. */
function typeName(value: unknown): string {
  if (value instanceof Tensor) return value.dtype.legacyTypeName;
  if (value === null) return 'NoneType';
  return typeof value === 'object' || typeof value === 'function' ? value.constructor?.name ?? 'object' : typeof value;
}

/** PyTorch's Module.__setattr__: keeps the parameter and child-module registries in step with the properties. */
function registerAttribute(module: Module, name: string, value: unknown): void {
  const parameters = module._parameters;
  const modules = module._modules;
  if (value instanceof Parameter) {
    modules.delete(name);
    parameters.set(name, value);
  } else if (parameters.has(name)) {
    if (value != null) {
      throw new TypeError_(`cannot assign '${typeName(value)}' as parameter '${name}' (torch.nn.Parameter or None expected)`);
    }
    parameters.set(name, null);
  } else if (value instanceof Module) {
    parameters.delete(name);
    modules.set(name, value);
  } else if (modules.has(name)) {
    if (value != null) {
      throw new TypeError_(`cannot assign '${typeName(value)}' as child module '${name}' (torch.nn.Module or None expected)`);
    }
    modules.set(name, null);
  }
}

/**
 * Assignments and class fields both reach `defineProperty` (a plain `set` ends there too), so this one trap
 * registers parameters and modules however they are attached; reads have no trap and stay fast.
 */
const moduleTraps: ProxyHandler<Module> = {
  defineProperty(target, key, descriptor) {
    if (typeof key === 'string' && 'value' in descriptor) registerAttribute(target, key, descriptor.value);
    return Reflect.defineProperty(target, key, descriptor);
  },
  deleteProperty(target, key) {
    if (typeof key === 'string') {
      target._parameters.delete(key);
      target._modules.delete(key);
    }
    return Reflect.deleteProperty(target, key);
  },
};

/** Python's `_addindent`: indents every line but the first. */
function indentTail(text: string, spaces: number): string {
  const [first, ...rest] = text.split('\n');
  return rest.length === 0 ? first : [first, ...rest.map((line) => ' '.repeat(spaces) + line)].join('\n');
}

function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

/** Options of `named_parameters`. */
export interface NamedParametersOptions {
  prefix?: string;
  recurse?: boolean;
}

/** Base class of all modules: subclass it, assign layers and parameters to properties, and define `forward`. */
export class Module {
  /** True in training mode (the default), false after `eval()`. */
  declare training: boolean;
  /** @internal Own parameters by name, in registration order (null for a registered `None`). */
  declare _parameters: Map<string, Parameter | null>;
  /** @internal Child modules by name, in registration order. */
  declare _modules: Map<string, Module | null>;

  /** An empty module; the instance is a function object so that `module(x)` calls `forward`. */
  constructor() {
    let self: Module;
    const call = (...args: unknown[]): unknown => self.forward(...args);
    // A function's own `name` and `length` are read-only; dropping them lets modules use those names freely.
    Reflect.deleteProperty(call, 'name');
    Reflect.deleteProperty(call, 'length');
    Object.setPrototypeOf(call, new.target.prototype);
    Object.defineProperties(call, {
      training: { value: true, writable: true, configurable: true },
      _parameters: { value: new Map() },
      _modules: { value: new Map() },
    });
    self = new Proxy(call as unknown as Module, moduleTraps);
    return self;
  }

  /** The computation of the module; subclasses define it. */
  forward(..._args: any[]): any {
    throw new NotImplementedError(`Module [${this.constructor.name}] is missing the required "forward" function`);
  }

  /** Registers `param` (or null) under `name`, as assigning it to the property does. */
  register_parameter(name: string, param: Parameter | null): void {
    if (name.includes('.')) throw new KeyError(`parameter name can't contain "."`);
    if (name === '') throw new KeyError(`parameter name can't be empty string ""`);
    if (name in this && !this._parameters.has(name)) throw new KeyError(`attribute '${name}' already exists`);
    if (param !== null && !(param instanceof Parameter)) {
      throw new TypeError_(`cannot assign '${typeName(param)}' object to parameter '${name}' (torch.nn.Parameter or None required)`);
    }
    this._modules.delete(name);
    this._parameters.set(name, param);
    Reflect.defineProperty(this, name, { value: param, writable: true, enumerable: true, configurable: true });
  }

  /** Registers a child module (or null) under `name`, as assigning it to the property does. */
  add_module(name: string, module: Module | null): void {
    if (module !== null && !(module instanceof Module)) throw new TypeError_(`${typeName(module)} is not a Module subclass`);
    if (name.includes('.')) throw new KeyError(`module name can't contain ".", got: ${name}`);
    if (name === '') throw new KeyError(`module name can't be empty string ""`);
    if (name in this && !this._modules.has(name)) throw new KeyError(`attribute '${name}' already exists`);
    this._parameters.delete(name);
    this._modules.set(name, module);
    Reflect.defineProperty(this, name, { value: module, writable: true, enumerable: true, configurable: true });
  }

  /** Alias of `add_module`. */
  register_module(name: string, module: Module | null): void {
    this.add_module(name, module);
  }

  /** `(name, module)` for this module (named `prefix`) and every module below it, each once, depth first. */
  *named_modules(memo: Set<Module> = new Set(), prefix = ''): Generator<[string, Module]> {
    if (memo.has(this)) return;
    memo.add(this);
    yield [prefix, this];
    for (const [name, child] of this._modules) {
      if (child !== null) yield* child.named_modules(memo, joinName(prefix, name));
    }
  }

  /** This module and every module below it, each once. */
  *modules(): Generator<Module> {
    for (const [, module] of this.named_modules()) yield module;
  }

  /** `(name, child)` for the direct children, each once. */
  *named_children(): Generator<[string, Module]> {
    const seen = new Set<Module>();
    for (const [name, child] of this._modules) {
      if (child === null || seen.has(child)) continue;
      seen.add(child);
      yield [name, child];
    }
  }

  /** The direct children. */
  *children(): Generator<Module> {
    for (const [, child] of this.named_children()) yield child;
  }

  /** `(dotted name, parameter)` for the parameters of this module and (with `recurse`) those below, each once. */
  *named_parameters(prefixOrOptions: string | NamedParametersOptions = '', recurse = true): Generator<[string, Parameter]> {
    const options = typeof prefixOrOptions === 'string' ? { prefix: prefixOrOptions, recurse } : prefixOrOptions;
    const modules: Iterable<[string, Module]> =
      options.recurse ?? true ? this.named_modules(new Set(), options.prefix ?? '') : [[options.prefix ?? '', this]];
    const seen = new Set<Parameter>();
    for (const [modulePrefix, module] of modules) {
      for (const [name, parameter] of module._parameters) {
        if (parameter === null || seen.has(parameter)) continue;
        seen.add(parameter);
        yield [joinName(modulePrefix, name), parameter];
      }
    }
  }

  /** The parameters of this module and (with `recurse`) of those below, each once, in registration order. */
  *parameters(recurse: boolean | { recurse?: boolean } = true): Generator<Parameter> {
    const deep = typeof recurse === 'boolean' ? recurse : recurse.recurse ?? true;
    for (const [, parameter] of this.named_parameters('', deep)) yield parameter;
  }

  /** Applies `fn` to every child (recursively), then to this module; returns this module. */
  apply(fn: (module: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets training mode on this module and those below (`train(false)` is `eval()`); returns this module. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new ValueError('training mode is expected to be boolean');
    this.training = mode;
    for (const child of this.children()) child.train(mode);
    return this;
  }

  /** Sets evaluation mode; returns this module. */
  eval(): this {
    return this.train(false);
  }

  /** Resets the parameters' gradients: to null by default (PyTorch 2), or to zeros with `set_to_none: false`. */
  zero_grad(setToNone: boolean | { set_to_none?: boolean } = true): void {
    const toNone = typeof setToNone === 'boolean' ? setToNone : setToNone.set_to_none ?? true;
    for (const parameter of this.parameters()) resetGrad(parameter, toNone);
  }

  /** Sets `requires_grad` on every parameter; returns this module. */
  requires_grad_(requiresGrad = true): this {
    for (const parameter of this.parameters()) parameter.requires_grad_(requiresGrad);
    return this;
  }

  /** The parameters as detached tensors under dotted names, own parameters before the children's. */
  state_dict(): StateDict {
    const state = new StateDict();
    const collect = (module: Module, prefix: string): void => {
      for (const [name, parameter] of module._parameters) {
        if (parameter !== null) state.set(prefix + name, parameter.detach());
      }
      for (const [name, child] of module._modules) {
        if (child !== null) collect(child, `${prefix}${name}.`);
      }
    };
    collect(this, '');
    return state;
  }

  /** Copies tensors from `state` (a state_dict, Map or plain object) into the parameters, checking the keys. */
  load_state_dict(state: Map<string, Tensor> | Record<string, Tensor>, strict: boolean | { strict?: boolean } = true): IncompatibleKeys {
    const strictKeys = typeof strict === 'boolean' ? strict : strict.strict ?? true;
    const entries = new Map(state instanceof Map ? state : Object.entries(state));
    const own = this.state_dict();
    const missing = [...own.keys()].filter((key) => !entries.has(key));
    const unexpected = [...entries.keys()].filter((key) => !own.has(key));
    const errors: string[] = [];
    if (strictKeys && unexpected.length) errors.push(`Unexpected key(s) in state_dict: ${unexpected.map((key) => `"${key}"`).join(', ')}. `);
    if (strictKeys && missing.length) errors.unshift(`Missing key(s) in state_dict: ${missing.map((key) => `"${key}"`).join(', ')}. `);
    const copies: [Tensor, Tensor][] = [];
    for (const [key, target] of own) {
      const source = entries.get(key);
      if (source === undefined) continue;
      if (!(source instanceof Tensor)) {
        errors.push(`While copying the parameter named "${key}", expected torch.Tensor or Tensor-like object from checkpoint but received ${typeName(source)}`);
      } else if (!sameShape(source.shape, target.shape)) {
        errors.push(`size mismatch for ${key}: copying a param with shape ${source.shape} from checkpoint, the shape in current model is ${target.shape}.`);
      } else {
        copies.push([target, source]);
      }
    }
    if (errors.length) throw new RuntimeError(`Error(s) in loading state_dict for ${this.constructor.name}:\n\t${errors.join('\n\t')}`);
    no_grad(() => {
      for (const [target, source] of copies) target.copy_(source);
    });
    return new IncompatibleKeys(missing, unexpected);
  }

  /** Converts every parameter (and its gradient) to `dtype` in place, keeping the Parameter objects; returns this module. */
  to(dtype: DType | string | { dtype?: DType }): this {
    if (typeof dtype === 'string') return this;
    const target = dtype instanceof DType ? dtype : dtype.dtype;
    if (target === undefined) return this;
    if (!target.is_floating_point) {
      throw new TypeError_(`nn.Module.to only accepts floating point or complex dtypes, but got desired dtype=${target}`);
    }
    no_grad(() => {
      for (const module of this.modules()) {
        for (const parameter of module._parameters.values()) {
          if (parameter === null || !parameter.is_floating_point()) continue;
          parameter.data = parameter.to(target);
          if (parameter._grad !== null) parameter._grad = parameter._grad.to(target);
        }
      }
    });
    return this;
  }

  /** Converts the floating-point parameters to float64. */
  double(): this {
    return this.to(float64);
  }

  /** Converts the floating-point parameters to float32. */
  float(): this {
    return this.to(float32);
  }

  /** The module-specific part of the repr, e.g. `in_features=1, out_features=1, bias=True`. */
  extra_repr(): string {
    return '';
  }

  /** The repr PyTorch prints: class name, extra_repr, then each child indented as `(name): ...`. */
  toString(): string {
    const extraRepr = this.extra_repr();
    const extraLines = extraRepr ? extraRepr.split('\n') : [];
    const childLines = [...this._modules].map(([name, child]) => `(${name}): ${indentTail(String(child === null ? 'None' : child), 2)}`);
    const lines = [...extraLines, ...childLines];
    let body = '';
    if (lines.length === 1 && childLines.length === 0) body = extraLines[0];
    else if (lines.length) body = `\n  ${lines.join('\n  ')}\n`;
    return `${this.constructor.name}(${body})`;
  }

  /** Node's inspect prints the Python repr. */
  [inspectSymbol](): string {
    return this.toString();
  }

  /** The Jupyter MIME bundle: the repr and a table of the parameters. */
  [jupyterDisplay](): Record<string, string> {
    return moduleBundle(this);
  }
}
