/** Python-style construction: classes of `torch.nn` and `torch.optim` can be called without `new`, as in Python. */

/** An abstract-or-concrete class constructor. */
type Constructor = abstract new (...args: any[]) => any;

/** A class that can also be called like a function: `Linear(1, 1)` is `new Linear(1, 1)`. */
export type CallableClass<C extends Constructor> = C & ((...args: ConstructorParameters<C>) => InstanceType<C>);

/**
 * Wraps `cls` so calling it without `new` constructs an instance. The wrapper stays a constructor that
 * `instanceof` and `extends` see through, so cells can subclass it (`class Model extends torch.nn.Module`).
 */
export function callableClass<C extends Constructor>(cls: C): CallableClass<C> {
  return new Proxy(cls, {
    apply(target, _thisArg, args) {
      return Reflect.construct(target, args);
    },
  }) as CallableClass<C>;
}
