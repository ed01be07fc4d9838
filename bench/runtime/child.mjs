/**
 * Runs every runtime workload for one JavaScript system, in a process of its own (fresh JIT, no interference):
 *   node child.mjs <adapter module> <variant> <inputs dir> <result file>
 * The adapter module (systems/<name>.mjs) exports `createAdapter(variant)` returning:
 *   describe()                    -> "name version (details)"
 *   scalar({x, y, w, b})          -> {run(), check(): {loss, w_grad, b_grad}}           one iteration per run()
 *   matmul(a, b)                  -> {forward(), backward(), check(): {loss, a_grad, b_grad}}  loss = sum(A@B)
 *   mlp(tensors, settings)        -> {reset(), step(), loss(), grads(): {w1, b1, w2, b2}}  PyTorch layouts
 *   linreg(tensors, settings)     -> {reset(), train(), loss(), params(): {w, b}}           loss of the last epoch
 * Tensors arrive as {shape, data} with flat row-major typed arrays; gradients leave as flat arrays.
 * The result file gets {system, samplesMs: {id: [...]}, checks: {id: digest}, errors: {id: message}}.
 */
import { writeFileSync } from "node:fs";
import { readInputs } from "./inputs.mjs";
import { sample } from "../lib/stats.mjs";
import { digest } from "./digest.mjs";

const [adapterModule, variant, inputsDir, resultFile] = process.argv.slice(2);
const { createAdapter } = await import(`./systems/${adapterModule}.mjs`);
const adapter = await createAdapter(variant);
const { settings, workloads, tensors } = readInputs(inputsDir);

/** Builds the timed `run` and the after-timing `check` of one workload on the adapter. */
function prepare(workload) {
  switch (workload.kind) {
    case "scalar": {
      const scalar = adapter.scalar(settings.scalar);
      return {
        run: () => {
          for (let i = 0; i < settings.scalar.iterations; i++) scalar.run();
        },
        check: () => scalar.check(),
      };
    }
    case "matmul_fwd":
    case "matmul_bwd": {
      const n = workload.size;
      const product = adapter.matmul(tensors[`matmul${n}_a`], tensors[`matmul${n}_b`]);
      if (workload.kind === "matmul_fwd") return { run: () => product.forward() };
      return { run: () => product.backward(), check: () => product.check() };
    }
    case "mlp": {
      const mlp = adapter.mlp(tensors, settings.mlp);
      return {
        run: () => mlp.step(),
        check: () => {
          mlp.reset();
          mlp.step();
          const first = { loss: mlp.loss(), ...mlp.grads() };
          for (let step = 1; step < settings.mlp.checkSteps; step++) mlp.step();
          return { ...first, [`loss_step${settings.mlp.checkSteps}`]: mlp.loss() };
        },
      };
    }
    case "linreg": {
      const linreg = adapter.linreg(tensors, settings.linreg);
      return {
        run: () => {
          linreg.reset();
          linreg.train();
        },
        check: () => ({ loss: linreg.loss(), ...linreg.params() }),
      };
    }
    default:
      throw new Error(`unknown workload kind ${workload.kind}`);
  }
}

const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
const result = { system: adapter.describe(), samplesMs: {}, checks: {}, errors: {} };
for (const workload of workloads) {
  if (only && !only.some((prefix) => workload.id.startsWith(prefix))) continue;
  try {
    const { run, check } = prepare(workload);
    result.samplesMs[workload.id] = sample(run, workload.plan);
    if (check) result.checks[workload.id] = digest(check());
  } catch (error) {
    result.errors[workload.id] = `${error?.name ?? "Error"}: ${error?.message ?? error}`.split("\n")[0];
  }
  process.stderr.write(`  ${adapterModule}${variant ? `-${variant}` : ""} ${workload.id} ${result.errors[workload.id] ? "failed" : "done"}\n`);
}
writeFileSync(resultFile, JSON.stringify(result));
