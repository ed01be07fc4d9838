/** The cell checker on its own: what later cells see of earlier ones, as the program changes from cell to cell. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CellChecker } from '../kernel/interpreter/typecheck.js';

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cwd = mkdtempSync(path.join(tmpdir(), 'tsgrad-typecheck-'));
const globalsDeclaration = 'declare global {\n  /** Shows a value. */\n  function display(value: unknown): void;\n}\nexport {};\n';

afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('CellChecker', () => {
  let checker: CellChecker;
  beforeEach(() => { checker = new CellChecker({ cwd, packageRoot, globalsDeclaration }); });

  /** Checks a cell and, when it has no type errors, records it as having run; gives the error messages. */
  const run = (code: string): string[] => {
    const messages = checker.diagnostics(code).map(({ message }) => message);
    if (messages.length === 0) checker.commit(code);
    return messages;
  };

  it('sees names of earlier cells, with their types, whether a cell uses them or not', () => {
    expect(run('const values = [3, 1, 2];')).toEqual([]);
    expect(run('1 + 1')).toEqual([]);
    expect(run('function square(x: number): number { return x * x; }')).toEqual([]);
    expect(run('square(values[0]!)')).toEqual([]);
    expect(run('square(values)')).toEqual([expect.stringContaining("'number[]' is not assignable to parameter of type 'number'")]);
    expect(checker.complete('values.', 7).matches).toContain('push');
  });

  it('takes the latest declaration of a name declared again, in checks, completion and inspect', () => {
    for (let round = 0; round < 3; round++) {
      expect(run('function square(x: number): number {\n  return x * x;\n}\nsquare(12);')).toEqual([]);
    }
    expect(run('/** Squares a string. */\nfunction square(x: string): string { return x + x; }')).toEqual([]);
    expect(run('square(12)')).toEqual([expect.stringContaining("'number' is not assignable to parameter of type 'string'")]);
    expect(checker.quickInfo('square', 3)).toEqual({ signature: 'function square(x: string): string', documentation: 'Squares a string.' });
    expect(checker.complete('squ', 3).matches).toContain('square');
  });

  it('keeps let names assignable and reports assignments of the wrong type', () => {
    expect(run('let count = 0;')).toEqual([]);
    expect(run('count += 1;')).toEqual([]);
    expect(run("count = 'many';")).toEqual([expect.stringContaining("'string' is not assignable to type 'number'")]);
  });

  it('forgets earlier cells that no cell in use refers to, however often cells run again', () => {
    for (let round = 0; round < 30; round++) {
      expect(run('const a = 1;')).toEqual([]);
      expect(run('const b = a + 1;')).toEqual([]);
      expect(run('let c = 3;')).toEqual([]);
    }
    expect(run('a + b + c')).toEqual([]);
    const program = (checker as unknown as { service: { getProgram(): { getSourceFiles(): { fileName: string }[] } } }).service.getProgram();
    const cells = program.getSourceFiles().filter(({ fileName }) => path.basename(fileName).startsWith('__tsgrad_cell_'));
    expect(cells).toHaveLength(3);
  });

  it('keeps global declarations of an earlier cell in scope for every later cell', () => {
    expect(run('declare global { var answer: number }\nglobalThis.answer = 42;')).toEqual([]);
    expect(run('const other = 1;')).toEqual([]);
    expect(run('answer + 1')).toEqual([]);
    expect(run('answer.toFixed(1).length')).toEqual([]);
    expect(run('answer.missing')).toEqual([expect.stringContaining("Property 'missing' does not exist on type 'number'")]);
  });
});
