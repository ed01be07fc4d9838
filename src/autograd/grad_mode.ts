/** Grad mode: whether new operations are recorded for autograd (`torch.no_grad` and friends). */

let enabled = true;

/** `torch.is_grad_enabled()`. */
export function is_grad_enabled(): boolean {
  return enabled;
}

/** `torch.set_grad_enabled(mode)`: switches recording on or off until switched again. */
export function set_grad_enabled(mode: boolean): void {
  enabled = mode;
}

/**
 * Runs `fn` with grad mode set to `mode`, restoring the previous mode afterwards (even on error). When `fn`
 * is async, the mode holds until its promise settles, so `await torch.no_grad(async () => ...)` works.
 */
export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  let result: T;
  try {
    result = fn();
  } catch (error) {
    enabled = previous;
    throw error;
  }
  if (result instanceof Promise) {
    return result.finally(() => {
      enabled = previous;
    }) as T;
  }
  enabled = previous;
  return result;
}

/** `with torch.no_grad(): ...` written `torch.no_grad(() => ...)`: nothing inside is recorded. */
export function no_grad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** `with torch.enable_grad(): ...` written `torch.enable_grad(() => ...)`: recording on inside. */
export function enable_grad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
