/** Child processes and the Python that has PyTorch. */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's Python, which has python3-torch and jupyter_client (the `python3` first on PATH may not). */
export const systemPython = "/usr/bin/python3";

/** True when Debian's Python exists and imports every module named. */
export function pythonHas(...modules) {
  if (!existsSync(systemPython)) return false;
  return spawnSync(systemPython, ["-c", modules.map((module) => `import ${module}`).join("; ")], { stdio: "ignore" }).status === 0;
}

/** Runs a command to completion, its stderr passed through (progress, errors), its stdout dropped; resolves to its exit code. */
export function runChild(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"], ...options });
    child.on("error", (error) => {
      console.error(`cannot start ${command}: ${error.message}`);
      resolve(-1);
    });
    child.on("close", (code, signal) => resolve(code ?? signal));
  });
}
