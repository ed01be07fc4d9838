/** Errors named after the Python exception PyTorch raises, so cells see `RuntimeError: ...` as in PyTorch. */

/** PyTorch's RuntimeError. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** Python's ValueError. */
export class ValueError extends Error {
  override name = 'ValueError';
}

/** Python's IndexError. */
export class IndexError extends Error {
  override name = 'IndexError';
}

/** Python's TypeError. */
export class TypeError_ extends Error {
  override name = 'TypeError';
}

/** Python's KeyError. */
export class KeyError extends Error {
  override name = 'KeyError';
}

/** Python's AssertionError (PyTorch's modules check some arguments with `assert`). */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Python's NotImplementedError. */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}

/**
 * What to raise when allocating `bytes` failed with `error`: where JavaScript refused the memory (a typed array
 * too long, or no memory behind it), the RuntimeError PyTorch's CPU allocator raises, so that a huge tensor is an
 * ordinary error in a cell; anything else unchanged.
 */
export function allocationError(error: unknown, bytes: number): unknown {
  if (!(error instanceof RangeError && /typed array length|allocation failed/.test(error.message))) return error;
  return new RuntimeError(
    `[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate ${bytes} bytes. Error code 12 (Cannot allocate memory)`,
  );
}
