/** Reduces loss and gradient values to short digests that every system computes the same way. */

/** Digest of one value: a number stays itself; an array becomes [sum, sum of |x|, first, middle, last, length]. */
export function digestValue(value) {
  if (typeof value === "number") return [value];
  let sum = 0;
  let sumAbs = 0;
  for (let i = 0; i < value.length; i++) {
    sum += value[i];
    sumAbs += Math.abs(value[i]);
  }
  return [sum, sumAbs, value[0], value[Math.floor(value.length / 2)], value[value.length - 1], value.length];
}

/** Digest of every named value of a check. */
export function digest(values) {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, digestValue(value)]));
}

const relativeTolerance = 1e-3;

/**
 * Differences between a system's digest and the reference's, as readable strings (empty when they agree).
 * Sums and elements get an absolute slack scaled by the array's sum of |x|: float32 sums of many terms
 * legitimately differ in their last bits between summation orders.
 */
export function compareDigests(actual, reference) {
  const problems = [];
  for (const [name, expected] of Object.entries(reference)) {
    const got = actual[name];
    if (!got || got.length !== expected.length) {
      problems.push(`${name}: missing or of another shape`);
      continue;
    }
    if (expected.length === 1) {
      if (!close(got[0], expected[0], 1e-6)) problems.push(`${name}: ${got[0]} vs ${expected[0]}`);
      continue;
    }
    const [sum, sumAbs, first, middle, last, length] = expected;
    const elementSlack = (1e-4 * sumAbs) / length;
    const labels = ["sum", "sum|x|", "first", "middle", "last", "length"];
    const slacks = [1e-4 * sumAbs, 1e-4 * sumAbs, elementSlack, elementSlack, elementSlack, 0];
    [sum, sumAbs, first, middle, last, length].forEach((value, i) => {
      if (!close(got[i], value, slacks[i])) problems.push(`${name} ${labels[i]}: ${got[i]} vs ${value}`);
    });
  }
  return problems;
}

function close(actual, expected, slack) {
  return Number.isFinite(actual) && Math.abs(actual - expected) <= slack + relativeTolerance * Math.abs(expected);
}
