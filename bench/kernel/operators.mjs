/**
 * The operators suite (issue 6): a numeric loop of ten million iterations in a cell, whose arithmetic the
 * checker knows to be on numbers and so leaves as written, against the same loop run without any rewrite
 * (the cell hands its source to `new Function`, which the kernel never compiles). Also shown: the same loop
 * on `any`-typed variables, which the rewrite must route through the run-time dispatchers.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, quick } from "../lib/stats.mjs";
import { formatNumber, formatTable } from "../lib/table.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const interpreterModule = path.join(here, "..", "..", "dist", "kernel", "interpreter", "index.js");

const ITERATIONS = 10_000_000;
/** Ten million iterations take tens of milliseconds; alternating rounds spread any drift over both variants. */
const ROUNDS = quick ? 2 : 15;
/** The promise of the issue: the rewritten cell within 5% of the plain loop. */
const TOLERANCE = 0.05;

const loopBody = (declaration) => `${declaration}
for (let i = 0; i < ${ITERATIONS}; i++) { acc = (acc + i * 3 - (i % 7)) / 1.5; acc -= 1; acc *= 1.25; }`;
const timed = (body) => `{ const started = performance.now(); ${body} elapsed = performance.now() - started; checksum = acc; }`;

const variants = {
  "typed, in the cell": timed(loopBody("let acc: number = 0;")),
  "no rewrite (new Function)": `new Function(${JSON.stringify(`let elapsed, checksum; ${timed(loopBody("let acc = 0;"))} return [elapsed, checksum];`)})()`,
  "any-typed, in the cell": timed(loopBody("let acc: any = 0;")),
};

/** Runs the suite with options {systems?: string[]} and prints the report; returns the process exit code. */
export async function run() {
  const { createInterpreter } = await import(interpreterModule);
  const interpreter = createInterpreter();
  const sink = { stream: () => undefined, display: () => undefined, clearOutput: () => undefined, input: () => Promise.reject(new Error("no stdin")) };
  const execute = async (code) => {
    const outcome = await interpreter.execute(code, sink, { silent: false, storeHistory: false, allowStdin: false, userExpressions: {} });
    if (outcome.status !== "ok") throw new Error(`${outcome.ename}: ${outcome.evalue}`);
    return outcome.result?.data["text/plain"];
  };
  try {
    await execute("let elapsed = 0; let checksum = 0;");
    const samples = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
    const checksums = {};
    for (let round = 0; round < ROUNDS + 1; round++) {
      for (const [name, code] of Object.entries(variants)) {
        const result = code.startsWith("new Function")
          ? JSON.parse((await execute(`JSON.stringify(${code})`)).slice(1, -1))
          : (await execute(code), [Number(await execute("elapsed")), Number(await execute("checksum"))]);
        if (round > 0) samples[name].push(result[0]);
        checksums[name] = result[1];
      }
    }
    return report(samples, checksums);
  } finally {
    await interpreter.shutdown(false);
  }
}

function report(samples, checksums) {
  const baseline = median(samples["no rewrite (new Function)"]);
  const rows = Object.entries(samples).map(([name, values]) => [
    name, formatNumber(median(values)), `${formatNumber(median(values) / baseline)}x`, String(checksums[name]),
  ]);
  console.log(`\n## Operators: a ${ITERATIONS.toLocaleString("en")}-iteration numeric loop in a cell (median of ${ROUNDS} rounds)\n`);
  console.log(formatTable(["variant", "ms", "vs no rewrite", "checksum"], rows));
  const ratio = median(samples["typed, in the cell"]) / baseline;
  const sameResult = checksums["typed, in the cell"] === checksums["no rewrite (new Function)"] && checksums["any-typed, in the cell"] === checksums["typed, in the cell"];
  console.log(`\ntyped loop / no rewrite = ${ratio.toFixed(3)} (promise: within ${TOLERANCE * 100}%); same checksums: ${sameResult}`);
  return sameResult && (quick || ratio <= 1 + TOLERANCE) ? 0 : 1;
}
