#!/usr/bin/env node
/**
 * `npm run bench [-- <suite>...] [--quick] [--only=W1,W3] [--systems=tsgrad,torch]`
 * Suites: runtime (default), kernel, operators, all. --quick runs each workload once or twice, to check the harness,
 * not for figures. Installs bench/node_modules (the peers) on first use.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const suites = {
  runtime: () => import("./runtime/suite.mjs"),
  kernel: () => import("./kernel/suite.mjs"),
  operators: () => import("./kernel/operators.mjs"),
};

const args = process.argv.slice(2);
const flag = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
const requested = args.filter((arg) => !arg.startsWith("--"));
const names = requested.includes("all") ? Object.keys(suites) : requested.length ? requested : ["runtime"];
const unknown = names.filter((name) => !suites[name]);
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(", ")}; choose from ${Object.keys(suites).join(", ")}, all`);
  process.exit(2);
}

// The children read these, so the JavaScript and Python drivers follow the same options.
if (args.includes("--quick")) process.env.BENCH_QUICK = "1";
if (flag("only")) process.env.BENCH_ONLY = flag("only");

if (!existsSync(path.join(here, "node_modules"))) {
  // js-pytorch's GPU dependency has a native build that fails here and is not needed on the CPU.
  const install = spawnSync("npm", ["ci", "--ignore-scripts", "--prefix", here], { stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

let exitCode = 0;
for (const name of names) {
  const suite = await suites[name]();
  exitCode = Math.max(exitCode, await suite.run({ systems: flag("systems")?.split(",") }));
}
process.exit(exitCode);
