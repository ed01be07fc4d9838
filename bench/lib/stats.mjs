/** Timing and summary statistics shared by every benchmark suite. */

/** True when BENCH_QUICK is set: fewer repetitions, for checking that the harness runs, not for figures. */
export const quick = Boolean(process.env.BENCH_QUICK);

/** Median of a non-empty list of numbers. */
export function median(values) {
  return percentile(values, 50);
}

/** The p-th percentile (0..100) by linear interpolation between closest ranks, as numpy's default. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low);
}

/**
 * Times `run` after a warm-up of at least `warmup` untimed calls and `warmupMs` milliseconds (JIT compilers reach
 * their steady state only after a few hundred milliseconds of repeated work: V8 was still compiling W4's functions
 * 1,500 epochs in); returns the milliseconds of each timed call. Stops at `maxReps`, or once `budgetMs` is spent
 * and `minReps` are done. A call slower than the whole budget ends the warm-up and lowers `minReps` to one, so
 * that the slowest peers still finish in minutes.
 */
export function sample(run, { warmup, warmupMs = 0, minReps, maxReps, budgetMs }) {
  const plan = quick ? { warmup: Math.min(warmup, 1), warmupMs: 0, minReps: 1, maxReps: 2, budgetMs: 0 } : { warmup, warmupMs, minReps, maxReps, budgetMs };
  let slowest = 0;
  const warmupStart = performance.now();
  for (let i = 0; (i < plan.warmup || performance.now() - warmupStart < plan.warmupMs) && slowest <= plan.budgetMs; i++) {
    const start = performance.now();
    run();
    slowest = Math.max(slowest, performance.now() - start);
  }
  const required = slowest > plan.budgetMs ? 1 : plan.minReps;
  const times = [];
  const begin = performance.now();
  while (times.length < plan.maxReps && (times.length < required || performance.now() - begin < plan.budgetMs)) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times;
}
