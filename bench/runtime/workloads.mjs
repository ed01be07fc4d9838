/**
 * The runtime workloads (issue 2): what each one measures, its unit and its repetition plan. The list is
 * written into the inputs manifest so the JavaScript and Python drivers run exactly the same set.
 */
import { settings } from "./inputs.mjs";

const matmul = (direction, n, unit, plan) => ({ id: `W2 ${direction} ${n}`, kind: `matmul_${direction}`, size: n, unit, plan });

/** Every runtime workload, in report order. */
export const workloads = [
  { id: "W1", kind: "scalar", unit: "µs/iter", plan: { warmup: 1, warmupMs: 1000, minReps: 5, maxReps: 3000, budgetMs: 3000 } },
  ...settings.matmulSizes.map((n) => matmul("fwd", n, "GFLOP/s", { warmup: 3, warmupMs: 500, minReps: 5, maxReps: 3000, budgetMs: 3000 })),
  ...settings.matmulSizes.map((n) => matmul("bwd", n, "ms", { warmup: 2, warmupMs: 500, minReps: 5, maxReps: 3000, budgetMs: 3000 })),
  { id: "W3", kind: "mlp", unit: "ms/step", plan: { warmup: 5, warmupMs: 1000, minReps: 10, maxReps: 3000, budgetMs: 3000 } },
  { id: "W4", kind: "linreg", unit: "ms", plan: { warmup: 1, warmupMs: 1500, minReps: 3, maxReps: 3000, budgetMs: 4000 } },
];

/** Human description of each kind, for the report header. */
export const descriptions = {
  scalar: `scalar tutorial graph z=x*w+b, MSE, backward; ${settings.scalar.iterations} iterations`,
  matmul_fwd: "A@B forward",
  matmul_bwd: "sum(A@B).backward()",
  mlp: `784-128-10 ReLU MLP, softmax cross-entropy, SGD, batch ${settings.mlp.batch}`,
  linreg: `linear regression, ${settings.linreg.points} points, ${settings.linreg.epochs} full-batch epochs, SGD lr ${settings.linreg.lr}`,
};

/** Converts a median time in milliseconds into the workload's reported unit (higher is better only for GFLOP/s). */
export function toUnit(workload, ms) {
  switch (workload.kind) {
    case "scalar":
      return (ms * 1000) / settings.scalar.iterations;
    case "matmul_fwd":
      return (2 * workload.size ** 3) / (ms * 1e6);
    default:
      return ms;
  }
}
