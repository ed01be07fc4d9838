/**
 * Test-side helpers around the package's Jupyter client (kernel/client): the built CLI's path,
 * and the fake interpreter compiled to a module the kernel process can load.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export { JupyterClient, type RequestOutcome } from '../../kernel/client/jupyter-client.js';
export { freshConnectionInfo, launchKernel, type LaunchedKernel } from '../../kernel/client/launch.js';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The built CLI, or a plain error telling how to build it. */
export function builtCli(): string {
  const cli = join(repoRoot, 'dist', 'kernel', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  return cli;
}

/** Transpiles test/helpers/fake-interpreter.ts into a standalone ES module; returns its path. */
export async function fakeInterpreterModule(): Promise<string> {
  const source = await readFile(join(repoRoot, 'test', 'helpers', 'fake-interpreter.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  const file = join(await mkdtemp(join(tmpdir(), 'tsgrad-fake-')), 'fake-interpreter.mjs');
  await writeFile(file, outputText);
  return file;
}
