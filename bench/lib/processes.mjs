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

/** Runs a command to completion with stderr passed through; resolves to its exit code and its stdout. */
export function runChild(command, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "inherit"], ...options });
    let stdout = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.on("error", (error) => resolve({ code: -1, stdout: String(error) }));
    child.on("close", (code, signal) => resolve({ code: code ?? signal, stdout }));
  });
}
