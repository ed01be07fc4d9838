import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { findKernelSpec, type ResolvedKernelSpec } from '../kernel/notebook/kernelspec.js';
import { newCodeCell, newMarkdownCell, newNotebook, readNotebook, writeNotebook, type Notebook, type Output } from '../kernel/notebook/nbformat.js';
import { runNotebook } from '../kernel/notebook/runner.js';
import { builtCli, repoRoot } from './helpers/jupyter-client.js';

const run = promisify(execFile);
const python = '/usr/bin/python3';
const kernelName = 'tsgrad';

/** A notebook of plain TypeScript that exercises every kind of output (no runtime needed). */
function outputsNotebook(): Notebook {
  const raising = newCodeCell('const broken: number = JSON.parse("{");', { metadata: { tags: ['raises-exception'] } });
  return newNotebook({ name: kernelName, display_name: 'TypeScript (tsgrad)' }, [
    newMarkdownCell('# Every kind of output'),
    newCodeCell('console.log("one");\nconsole.error("two");\nconsole.log("three");\n[1, 2, 3].map((x) => x * 2)'),
    newCodeCell('display.html("<b>bold</b>");\ndisplay.svg(\'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>\');\ndisplay.markdown("*hi*");\ndisplay.json({ a: [1, 2] });'),
    newCodeCell('const handle = display.html("<i>first</i>");\nhandle.update("second");'),
    newCodeCell('handle.update("third, from a later cell");\nconsole.log("before");\nclear_output({ wait: true });\nconsole.log("after");'),
    raising,
    newCodeCell('await new Promise((resolve) => setTimeout(resolve, 50));\n"awaited"'),
  ]);
}

/** Live training views report their speed, which no two runs share. */
function withoutRates(plain: unknown): unknown {
  return typeof plain === 'string' ? plain.replace(/[\d.e+-]+ epochs\/s/g, '(rate) epochs/s') : plain;
}

/** What both clients must agree on: per code cell, its count and its outputs' types, text/plain and MIME types. */
function comparable(notebook: Notebook) {
  return notebook.cells.flatMap((cell) => {
    if (cell.cell_type !== 'code') return [];
    const outputs: Output[] = [];
    // nbclient stores each stream message as its own output; Jupyter's front ends (and our runner) merge them.
    for (const output of cell.outputs) {
      const last = outputs.at(-1);
      if (output.output_type === 'stream' && last?.output_type === 'stream' && last.name === output.name) {
        outputs[outputs.length - 1] = { ...last, text: last.text + output.text };
      } else {
        outputs.push(output);
      }
    }
    return [
      {
        execution_count: cell.execution_count,
        outputs: outputs.map((output) => {
          switch (output.output_type) {
            case 'stream':
              return output;
            case 'error':
              return { output_type: output.output_type, ename: output.ename, evalue: output.evalue, traceback: output.traceback };
            default:
              return { output_type: output.output_type, mimeTypes: Object.keys(output.data).sort(), plain: withoutRates(output.data['text/plain']) };
          }
        }),
      },
    ];
  });
}

// nbconvert --execute (nbclient) and our runner execute the same notebooks with the kernelspec installed
// by `tsgrad install`, and must produce the same outputs.
describe('nbclient and tsgrad run agree', () => {
  let env: NodeJS.ProcessEnv;
  let kernel: ResolvedKernelSpec;
  let workDirectory: string;

  beforeAll(async () => {
    const cli = builtCli();
    const root = await mkdtemp(join(tmpdir(), 'tsgrad-nbclient-'));
    const prefix = join(root, 'prefix');
    for (const directory of ['data', 'runtime', 'config', 'work']) await mkdir(join(root, directory));
    workDirectory = join(root, 'work');
    env = {
      ...process.env,
      JUPYTER_PATH: join(prefix, 'share', 'jupyter'),
      JUPYTER_DATA_DIR: join(root, 'data'),
      JUPYTER_RUNTIME_DIR: join(root, 'runtime'),
      JUPYTER_CONFIG_DIR: join(root, 'config'),
      PYDEVD_DISABLE_FILE_VALIDATION: '1',
    };
    await run(process.execPath, [cli, 'install', '--prefix', prefix, '--name', kernelName], { env });
    kernel = await findKernelSpec(kernelName, env);
  });

  async function executeWithNbclient(path: string): Promise<Notebook> {
    const outputDirectory = await mkdtemp(join(workDirectory, 'nbclient-'));
    await run(
      python,
      ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=600', '--output-dir', outputDirectory, path],
      { env, cwd: workDirectory, timeout: 300_000 },
    );
    return readNotebook(join(outputDirectory, basename(path)));
  }

  async function expectAgreement(path: string): Promise<void> {
    const source = await readNotebook(path);
    const [theirs, ours] = await Promise.all([executeWithNbclient(path), runNotebook(source, { kernel, path, timeoutSeconds: 600 })]);
    expect(ours.failure).toBeNull();
    expect(comparable(ours.notebook)).toEqual(comparable(theirs));
    expect(ours.notebook.metadata.language_info).toEqual(theirs.metadata.language_info);
  }

  it('on a notebook of every kind of output', async () => {
    const path = join(workDirectory, 'outputs.ipynb');
    await writeNotebook(path, outputsNotebook());
    const source = await readNotebook(path);
    const ours = await runNotebook(source, { kernel, path });
    // The notebook must really produce what it is meant to compare, not a column of errors.
    const kinds = comparable(ours.notebook).map((cell) => cell.outputs.map((output) => output.output_type));
    expect(kinds).toEqual([
      ['stream', 'stream', 'stream', 'execute_result'],
      ['display_data', 'display_data', 'display_data', 'display_data'],
      ['display_data'],
      ['stream'],
      ['error'],
      ['execute_result'],
    ]);
    await expectAgreement(path);
  });

  const tutorials = existsSync(join(repoRoot, 'notebooks'))
    ? readdirSync(join(repoRoot, 'notebooks')).filter((name) => name.endsWith('.ipynb')).sort()
    : [];
  it.each(tutorials)('on the tutorial %s', async (name) => {
    await expectAgreement(join(repoRoot, 'notebooks', name));
  });
});

