import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { newCodeCell, newMarkdownCell, newNotebook, readNotebook, writeNotebook } from '../kernel/notebook/nbformat.js';
import { stripAnsi } from '../kernel/notebook/export/ansi.js';
import { builtCli } from './helpers/jupyter-client.js';

interface Finished {
  code: number;
  stderr: string;
}

/** Runs the built CLI to completion. */
function tsgrad(args: string[], cwd: string): Promise<Finished> {
  return new Promise((resolve) => {
    execFile(process.execPath, [builtCli(), ...args], { cwd, timeout: 240_000 }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stderr: stripAnsi(stderr) });
    });
  });
}

// `tsgrad run` end to end: the real kernel and interpreter, plain TypeScript cells.
describe('tsgrad run', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'tsgrad-cli-run-'));
    await writeNotebook(
      join(directory, 'good.ipynb'),
      newNotebook({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)' }, [
        newMarkdownCell('# Good'),
        newCodeCell('const total = [1, 2, 3].reduce((sum, value) => sum + value, 0);\nconsole.log("total is", total);'),
        newCodeCell('JSON.parse("{")', { metadata: { tags: ['raises-exception'] } }),
        newCodeCell('total * 2'),
      ]),
    );
    await writeNotebook(
      join(directory, 'bad.ipynb'),
      newNotebook({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)' }, [
        newCodeCell('console.log("first")'),
        newCodeCell('throw new RangeError("out of range")', { id: 'failing-cell' }),
        newCodeCell('console.log("never")'),
      ]),
    );
  });

  it('executes a notebook and writes the requested formats', async () => {
    const { code, stderr } = await tsgrad(['run', 'good.ipynb', '--to', 'ipynb,html', '--to', 'md', '--out', 'out'], directory);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^good\.ipynb: running with TypeScript \(tsgrad\)\n/);
    expect(stderr).toMatch(/\[1\/3\] ok .*const total/);
    expect(stderr).toMatch(/\[2\/3\] error \(raises-exception\) .*JSON\.parse/);
    expect(stderr).toMatch(/good\.ipynb: done, 3 cells in/);
    const executed = await readNotebook(join(directory, 'out', 'good.ipynb'));
    const outputs = executed.cells.flatMap((cell) => (cell.cell_type === 'code' ? [cell.outputs] : []));
    expect(outputs[0]).toEqual([{ output_type: 'stream', name: 'stdout', text: 'total is 6\n' }]);
    expect(outputs[1]![0]).toMatchObject({ output_type: 'error', ename: 'SyntaxError' });
    expect(outputs[2]).toEqual([{ output_type: 'execute_result', execution_count: 3, data: { 'text/plain': '12' }, metadata: {} }]);
    expect(await readFile(join(directory, 'out', 'good.html'), 'utf8')).toContain('total is 6');
    expect(await readFile(join(directory, 'out', 'good.md'), 'utf8')).toContain('```\ntotal is 6\n```');
  });

  it('exits with 1 and names the failing cell, still writing what ran', async () => {
    const { code, stderr } = await tsgrad(['run', 'bad.ipynb', '--out', 'failed'], directory);
    expect(code).toBe(1);
    expect(stderr).toContain('bad.ipynb: cell 2 (id failing-cell, In [2]) failed (error): RangeError: out of range');
    expect(stderr).toContain('------------------\nthrow new RangeError("out of range")\n------------------');
    const executed = await readNotebook(join(directory, 'failed', 'bad.ipynb'));
    expect(executed.cells.map((cell) => (cell.cell_type === 'code' ? cell.execution_count : null))).toEqual([1, 2, null]);
  });

  it('runs every notebook of a directory and counts the failures', async () => {
    const { code, stderr } = await tsgrad(['run', '.', '--out', 'all'], directory);
    expect(code).toBe(1);
    expect(stderr).toContain('1 of 2 notebooks ran without errors');
    expect(existsSync(join(directory, 'all', 'bad.ipynb')) && existsSync(join(directory, 'all', 'good.ipynb'))).toBe(true);
  });

  it('exports without running', async () => {
    const { code } = await tsgrad(['export', 'good.ipynb', '--out', 'exported'], directory);
    expect(code).toBe(0);
    expect(await readFile(join(directory, 'exported', 'good.html'), 'utf8')).toContain('<title>Good</title>');
  });

  it('answers usage errors with 2 and the usage', async () => {
    const badFormat = await tsgrad(['run', 'good.ipynb', '--to', 'pdf'], directory);
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('Unknown format "pdf"; expected one of ipynb, html, markdown');
    expect(badFormat.stderr).toContain('Usage:');
    const missing = await tsgrad(['run', 'missing.ipynb'], directory);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('No such notebook or directory: missing.ipynb');
    await mkdir(join(directory, 'empty'), { recursive: true });
    const empty = await tsgrad(['run', 'empty'], directory);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('No notebooks (.ipynb) in empty');
    const noKernel = await tsgrad(['run', 'good.ipynb', '--kernel', 'no-such-kernel'], directory);
    expect(noKernel.code).toBe(1);
    expect(noKernel.stderr).toContain('No such kernel named no-such-kernel');
  });
});
