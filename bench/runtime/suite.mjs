/**
 * The runtime suite (issue 2): W1-W4 on tsgrad and its peers, each system in its own process, on inputs the
 * harness generates once. Prints medians, ratios (tsgrad vs each peer) and whether every system computed the
 * same losses and gradients. The systems take turns over a few rounds, each round a share of every workload's
 * time budget, so that a slow spell of this shared machine (seconds long, up to 2x here) falls on all of them
 * rather than on whichever ran through it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, percentile, quick } from "../lib/stats.mjs";
import { formatNumber, formatTable } from "../lib/table.mjs";
import { pythonHas, runChild, systemPython } from "../lib/processes.mjs";
import { setWorkloads, writeInputs } from "./inputs.mjs";
import { descriptions, toUnit, workloads } from "./workloads.mjs";
import { compareDigests } from "./digest.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const tsgradBuild = path.join(here, "..", "..", "dist", "src", "index.js");

const node = (adapter, variant = "") => (inputs, result) => [process.execPath, [path.join(here, "child.mjs"), adapter, variant, inputs, result]];

/** The systems measured, tsgrad first; `available` says why one cannot run here. */
const systems = [
  { id: "tsgrad", command: node("tsgrad"), available: () => existsSync(tsgradBuild) || "not built (npm run build)" },
  { id: "torch", command: (inputs, result) => [systemPython, [path.join(here, "torch_workloads.py"), inputs, result]], available: () => pythonHas("torch", "numpy") || `no PyTorch in ${systemPython}` },
  { id: "tfjs-cpu", command: node("tfjs", "cpu"), available: () => true },
  { id: "tfjs-wasm", command: node("tfjs", "wasm"), available: () => true },
  { id: "js-pytorch", command: node("js-pytorch"), available: () => true },
];

/** Rounds of turns the systems take; every round runs each workload with its share of the repetition plan. */
const ROUNDS = quick ? 1 : 3;

/** A round's share of a workload's repetitions and budget; each round's fresh process warms up in full. */
const shareOf = ({ minReps, maxReps, budgetMs, ...warmup }) =>
  ({ ...warmup, minReps: Math.ceil(minReps / ROUNDS), maxReps: Math.ceil(maxReps / ROUNDS), budgetMs: budgetMs / ROUNDS });

/**
 * The workloads a later round repeats for a system: those whose slowest sample of the first round fits in a
 * round's share of the budget (the slowest peers' one-run workloads, tens of seconds each, are not repeated).
 */
function repeated(first) {
  return workloads.filter((workload) => {
    const samples = first.samplesMs[workload.id];
    return samples !== undefined && Math.max(...samples) <= workload.plan.budgetMs / ROUNDS;
  });
}

/** One system's results of several rounds as one: samples joined, checks of the first round, every error. */
function joined(rounds) {
  const [first, ...later] = rounds;
  const samplesMs = { ...first.samplesMs };
  for (const round of later) {
    for (const [id, samples] of Object.entries(round.samplesMs)) samplesMs[id] = [...(samplesMs[id] ?? []), ...samples];
  }
  return { ...first, samplesMs, errors: Object.assign({}, ...rounds.map((round) => round.errors)) };
}

/** Runs one system's child process; returns its result, or a result whose every workload failed. */
async function measure(system, inputsDir) {
  const resultFile = path.join(inputsDir, `result-${system.id}.json`);
  const [command, args] = system.command(inputsDir, resultFile);
  const code = await runChild(command, args, { cwd: path.join(here, "..") });
  if (code === 0 && existsSync(resultFile)) return JSON.parse(readFileSync(resultFile, "utf8"));
  return { system: system.id, samplesMs: {}, checks: {}, errors: { "*": `process exited with ${code}` } };
}

/** Median of each workload in the workload's unit, with its spread (half the interquartile range), or "error". */
function cell(result, workload) {
  const samples = result.samplesMs[workload.id];
  if (!samples) return result.errors[workload.id] || result.errors["*"] ? "error" : "-";
  const middle = median(samples);
  const spread = samples.length > 1 ? `±${Math.round((50 * (percentile(samples, 75) - percentile(samples, 25))) / middle)}%` : "(1 run)";
  return `${formatNumber(toUnit(workload, middle))} ${spread}`;
}

/** tsgrad's median time divided by a peer's: above 1, tsgrad is slower. */
function ratio(tsgrad, peer, workload) {
  const [mine, theirs] = [tsgrad.samplesMs[workload.id], peer.samplesMs[workload.id]];
  if (!mine || !theirs) return "-";
  const value = median(mine) / median(theirs);
  return `${formatNumber(value)}x`;
}

/**
 * Compares each workload's checks with PyTorch's (or, where PyTorch has none, the first system's):
 * returns the mismatch lines and how many results were compared.
 */
function mismatches(results) {
  const lines = [];
  let compared = 0;
  for (const workload of workloads) {
    const checked = results.filter(({ result }) => result.checks[workload.id]);
    const reference = checked.find(({ id }) => id === "torch") ?? checked[0];
    for (const { id, result } of checked) {
      if (id === reference.id) continue;
      compared++;
      for (const problem of compareDigests(result.checks[workload.id], reference.result.checks[workload.id])) lines.push(`${id} ${workload.id} ${problem} (${reference.id})`);
    }
  }
  return { lines, compared };
}

/** Runs the suite with options {systems?: string[]} and prints the report; returns the process exit code. */
export async function run(options = {}) {
  const chosen = systems.filter((system) => !options.systems || options.systems.includes(system.id));
  const inputsDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-bench-"));
  try {
    writeInputs(inputsDir, workloads);
    const available = chosen.filter((system) => {
      const availability = system.available();
      if (availability !== true) console.log(`skipping ${system.id}: ${availability}`);
      return availability === true;
    });
    const rounds = new Map(available.map((system) => [system.id, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const system of available) {
        const planned = round === 0 ? workloads : repeated(rounds.get(system.id)[0]);
        if (planned.length === 0) continue;
        setWorkloads(inputsDir, planned.map((workload) => ({ ...workload, plan: shareOf(workload.plan) })));
        console.error(`running ${system.id} (round ${round + 1} of ${ROUNDS})`);
        rounds.get(system.id).push(await measure(system, inputsDir));
      }
    }
    return report(available.map((system) => ({ id: system.id, result: joined(rounds.get(system.id)) })));
  } finally {
    rmSync(inputsDir, { recursive: true, force: true });
  }
}

function report(results) {
  const shown = workloads.filter((workload) => results.some(({ result }) => result.samplesMs[workload.id] || result.errors[workload.id]));
  console.log(`\nRuntime suite: medians ± half the interquartile range over ${ROUNDS} rounds (node ${process.version}, ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores)`);
  for (const { id, result } of results) console.log(`  ${id}: ${result.system}`);
  for (const kind of new Set(shown.map((workload) => workload.kind))) console.log(`  ${kind}: ${descriptions[kind]}`);
  console.log();
  const header = ["workload", "unit", ...results.map(({ id }) => id)];
  console.log(formatTable(header, shown.map((workload) => [workload.id, workload.unit, ...results.map(({ result }) => cell(result, workload))])));

  const tsgrad = results.find(({ id }) => id === "tsgrad");
  const peers = results.filter(({ id }) => id !== "tsgrad");
  if (tsgrad && peers.length) {
    console.log("\nRatios: tsgrad's median time / the peer's (above 1: tsgrad is slower)\n");
    console.log(formatTable(["workload", ...peers.map(({ id }) => `vs ${id}`)], shown.map((workload) => [workload.id, ...peers.map((peer) => ratio(tsgrad.result, peer.result, workload))])));
  }

  const errors = results.flatMap(({ id, result }) => Object.entries(result.errors).map(([workloadId, message]) => `  ${id} ${workloadId}: ${message}`));
  let exitCode = errors.length ? 1 : 0;
  if (errors.length) console.log(`\nErrors:\n${errors.join("\n")}`);
  if (results.length > 1) {
    const { lines, compared } = mismatches(results);
    if (lines.length) {
      exitCode = 1;
      console.log("\n!!!!!!!! MISMATCH: systems disagree on losses or gradients (actual vs reference) !!!!!!!!");
      for (const line of lines) console.log(`  !! ${line}`);
    } else {
      console.log(`\nChecks: all ${compared} results with checks agree on losses and gradients with PyTorch's (or the first system's where PyTorch has none).`);
    }
  }
  saveResults(results);
  return exitCode;
}

/** Keeps the raw samples of the last run in bench/results/ (not committed) for closer reading. */
function saveResults(results) {
  const dir = path.join(here, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "runtime-latest.json");
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 1));
  console.log(`\nRaw samples: ${path.relative(process.cwd(), file)}`);
}
