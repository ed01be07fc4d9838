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

/** Python's NotImplementedError. */
export class NotImplementedError extends Error {
  override name = 'NotImplementedError';
}
