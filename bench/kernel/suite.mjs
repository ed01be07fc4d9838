/**
 * The kernel suite (issue 3): start time, cell round trips, completion and inspect latency and memory of the
 * tsgrad kernel, tslab and ipykernel, each driven through Debian's jupyter_client (kernel/driver.py).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { median, percentile } from "../lib/stats.mjs";
import { formatNumber, formatTable } from "../lib/table.mjs";
import { pythonHas, runChild, systemPython } from "../lib/processes.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const repository = path.join(here, "..", "..");
const tsgradCli = path.join(repository, "dist", "kernel", "cli.js");

const typescriptCells = {
  setup: "const values = [3, 1, 2];",
  trivial: "1+1",
  function: "function square(x: number): number {\n  return x * x;\n}\nsquare(12);",
  complete: "values.",
  inspect: "Math.max",
};
const pythonCells = {
  setup: "values = [3, 1, 2]",
  trivial: "1+1",
  function: "def square(x):\n    return x * x\nsquare(12)",
  complete: "values.",
  inspect: "len",
};

const kernelsDir = (jupyterPath) => path.join(jupyterPath, "kernels");

function writeSpec(jupyterPath, name, spec) {
  const dir = path.join(kernelsDir(jupyterPath), name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2));
  return name;
}

/** The kernels measured; `install` writes a kernelspec under jupyterPath and returns its name, or why not. */
const kernels = [
  {
    id: "tsgrad",
    cells: typescriptCells,
    install(jupyterPath) {
      if (!existsSync(tsgradCli)) return "not built (dist/kernel/cli.js)";
      const name = "bench-tsgrad";
      const prefix = path.dirname(path.dirname(jupyterPath));
      const installed = spawnSync(process.execPath, [tsgradCli, "install", "--prefix", prefix, "--name", name], { encoding: "utf8" });
      return installed.status === 0 ? name : `tsgrad install failed: ${(installed.stderr || installed.stdout).trim().split("\n")[0]}`;
    },
  },
  {
    id: "tslab",
    cells: typescriptCells,
    install: (jupyterPath) =>
      writeSpec(jupyterPath, "bench-tslab", {
        argv: [process.execPath, path.join(here, "..", "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
        display_name: "tslab",
        language: "typescript",
      }),
  },
  {
    id: "ipykernel",
    cells: pythonCells,
    install: (jupyterPath) =>
      writeSpec(jupyterPath, "bench-ipykernel", {
        argv: [systemPython, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        display_name: "ipykernel",
        language: "python",
        // Silences debugpy's start-up note about frozen modules (a warning on stderr, no effect on timings).
        env: { PYDEVD_DISABLE_FILE_VALIDATION: "1" },
      }),
  },
];

/** Runs the driver for one kernel; returns its result or a failed one. */
async function measure(kernel, name, jupyterPath, workDir) {
  const resultFile = path.join(workDir, `kernel-${kernel.id}.json`);
  const args = [path.join(here, "driver.py"), name, JSON.stringify(kernel.cells), resultFile];
  const code = await runChild(systemPython, args, { env: { ...process.env, JUPYTER_PATH: jupyterPath }, cwd: workDir });
  if (code === 0 && existsSync(resultFile)) return JSON.parse(readFileSync(resultFile, "utf8"));
  return { kernel: name, samplesMs: {}, memory: {}, errors: [`driver exited with ${code}`] };
}

/** Runs the suite with options {systems?: string[]} and prints the report; returns the process exit code. */
export async function run(options = {}) {
  if (!pythonHas("jupyter_client", "psutil")) {
    console.log(`kernel suite skipped: ${systemPython} lacks jupyter_client or psutil`);
    return 0;
  }
  const workDir = mkdtempSync(path.join(os.tmpdir(), "tsgrad-bench-kernel-"));
  const jupyterPath = path.join(workDir, "share", "jupyter");
  try {
    const results = [];
    for (const kernel of kernels.filter((entry) => !options.systems || options.systems.includes(entry.id))) {
      const name = kernel.install(jupyterPath);
      if (!existsSync(path.join(kernelsDir(jupyterPath), name, "kernel.json"))) {
        console.log(`skipping ${kernel.id}: ${name}`);
        continue;
      }
      console.error(`running kernel ${kernel.id}`);
      results.push({ id: kernel.id, result: await measure(kernel, name, jupyterPath, workDir) });
    }
    return report(results);
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

const megabytes = (bytes) => (bytes === undefined ? "-" : formatNumber(bytes / 2 ** 20));

function report(results) {
  if (!results.length) return 0;
  const latencyNames = [...new Set(results.flatMap(({ result }) => Object.keys(result.samplesMs)))];
  const memoryNames = [...new Set(results.flatMap(({ result }) => Object.keys(result.memory)))];
  const rows = [];
  for (const name of latencyNames) {
    rows.push([`${name}, median ms`, ...results.map(({ result }) => (result.samplesMs[name] ? formatNumber(median(result.samplesMs[name])) : "-"))]);
    if (results.some(({ result }) => (result.samplesMs[name]?.length ?? 0) >= 20)) {
      rows.push([`${name}, p95 ms`, ...results.map(({ result }) => (result.samplesMs[name] ? formatNumber(percentile(result.samplesMs[name], 95)) : "-"))]);
    }
  }
  for (const name of memoryNames) rows.push([`${name}, MB`, ...results.map(({ result }) => megabytes(result.memory[name]))]);
  console.log(`\nKernel suite (through jupyter_client; RSS of the kernel's process tree)\n`);
  console.log(formatTable(["measure", ...results.map(({ id }) => id)], rows));

  const tsgrad = results.find(({ id }) => id === "tsgrad");
  const peers = results.filter(({ id }) => id !== "tsgrad");
  if (tsgrad && peers.length) {
    console.log("\nRatios: tsgrad's median / the peer's (above 1: tsgrad is slower or larger)\n");
    const ratioRows = [
      ...latencyNames.map((name) => [name, ...peers.map(({ result }) => ratioOf(tsgrad.result.samplesMs[name] && median(tsgrad.result.samplesMs[name]), result.samplesMs[name] && median(result.samplesMs[name])))]),
      ...memoryNames.map((name) => [name, ...peers.map(({ result }) => ratioOf(tsgrad.result.memory[name], result.memory[name]))]),
    ];
    console.log(formatTable(["measure", ...peers.map(({ id }) => `vs ${id}`)], ratioRows));
  }
  for (const { id, result } of results) if (result.checks) console.log(`  ${id}: ${result.checks.completions ?? "no"} completions for ${JSON.stringify("values.")}, inspect found: ${result.checks["inspect found"] ?? "no reply"}`);
  for (const { id, result } of results) {
    if (result.lost?.length) console.log(`  ${id}: LOST ${result.lost.length} messages (${[...new Set(result.lost)].join(", ")} never came); those cells are left out of the timings`);
  }
  const errors = results.flatMap(({ id, result }) => result.errors.map((message) => `  ${id}: ${message}`));
  if (errors.length) console.log(`\nErrors:\n${errors.join("\n")}`);
  const dir = path.join(here, "..", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel-latest.json"), JSON.stringify({ date: new Date().toISOString(), results }, null, 1));
  return errors.length ? 1 : 0;
}

const ratioOf = (mine, theirs) => (mine && theirs ? `${formatNumber(mine / theirs)}x` : "-");
