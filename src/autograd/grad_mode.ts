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

/** Runs `fn` with grad mode set to `mode`, restoring the previous mode afterwards (even on error). */
export function withGradMode<T>(mode: boolean, fn: () => T): T {
  const previous = enabled;
  enabled = mode;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** `with torch.no_grad(): ...` written `torch.no_grad(() => ...)`: nothing inside is recorded. */
export function no_grad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** `with torch.enable_grad(): ...` written `torch.enable_grad(() => ...)`: recording on inside. */
export function enable_grad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
