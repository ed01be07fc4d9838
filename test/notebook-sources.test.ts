import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellTags, parseNotebook, type CodeCell, type Notebook } from '../kernel/notebook/nbformat.js';
import { NotebookSourceError, parseNotebookSource } from '../tools/notebooks/source-format.js';
import { NOTEBOOKS_DIRECTORY, SOURCES_DIRECTORY } from '../tools/notebooks/paths.js';
import { validateWithNbformat } from '../tools/notebooks/validate.js';
import { repoRoot } from './helpers/jupyter-client.js';

describe('notebook source format', () => {
  it('makes prose Markdown cells and ```ts blocks code cells with metadata', () => {
    const cells = parseNotebookSource(
      '# Title\n\nSome prose.\n\n```ts\nconst a = 1;\n```\n\n```text\nnot code\n```\n<!-- split -->\nMore.\n\n````ts tags=["raises-exception"] collapsed=true\nthrow new Error("```");\n````\n',
    );
    expect(cells.map(({ cell_type, source, metadata }) => ({ cell_type, source, metadata }))).toEqual([
      { cell_type: 'markdown', source: '# Title\n\nSome prose.', metadata: {} },
      { cell_type: 'code', source: 'const a = 1;', metadata: {} },
      { cell_type: 'markdown', source: '```text\nnot code\n```', metadata: {} },
      { cell_type: 'markdown', source: 'More.', metadata: {} },
      { cell_type: 'code', source: 'throw new Error("```");', metadata: { tags: ['raises-exception'], collapsed: true } },
    ]);
    expect(new Set(cells.map((cell) => cell.id)).size).toBe(5);
    expect(parseNotebookSource('```ts\nconst a = 1;\n```').map((cell) => cell.id)).toEqual([cells[1]!.id]);
  });

  it('reports unclosed fences and bad attributes with their line', () => {
    expect(() => parseNotebookSource('text\n```ts\nx')).toThrow(new NotebookSourceError('line 2: code fence is never closed'));
    expect(() => parseNotebookSource('```ts tags=[oops]\nx\n```')).toThrow(/line 1: attribute tags must be JSON/);
  });
});

const sources = readdirSync(join(repoRoot, SOURCES_DIRECTORY))
  .filter((name) => name.endsWith('.md'))
  .sort();

function committed(sourceName: string): Notebook {
  return parseNotebook(readFileSync(join(repoRoot, NOTEBOOKS_DIRECTORY, sourceName.replace(/\.md$/, '.ipynb')), 'utf8'));
}

/** Every text/plain output and stream of a notebook, in order, as one string. */
function plainText(notebook: Notebook): string {
  return notebook.cells
    .flatMap((cell) => (cell.cell_type === 'code' ? cell.outputs : []))
    .map((output) => {
      if (output.output_type === 'stream') return output.text;
      if (output.output_type === 'error') return `${output.ename}: ${output.evalue}`;
      return String(output.data['text/plain'] ?? '');
    })
    .join('\n');
}

// The notebooks are outputs of `npm run notebooks`: their cells must be those of the sources, all executed.
describe.each(sources)('notebooks/ from %s', (sourceName) => {
  it('holds the cells of its source, every one executed, errors only where tagged', () => {
    const notebook = committed(sourceName);
    const expected = parseNotebookSource(readFileSync(join(repoRoot, SOURCES_DIRECTORY, sourceName), 'utf8'));
    expect(notebook.cells.map(({ cell_type, id, source, metadata }) => ({ cell_type, id, source, metadata }))).toEqual(
      expected.map(({ cell_type, id, source, metadata }) => ({ cell_type, id, source, metadata })),
    );
    const codeCells = notebook.cells.filter((cell): cell is CodeCell => cell.cell_type === 'code');
    expect(codeCells.map((cell) => cell.execution_count)).toEqual(codeCells.map((_, index) => index + 1));
    for (const cell of codeCells) {
      const errors = cell.outputs.filter((output) => output.output_type === 'error');
      expect(errors.length > 0, `${cell.id}: ${JSON.stringify(errors)}`).toBe(cellTags(cell).includes('raises-exception'));
    }
    expect(validateWithNbformat(readFileSync(join(repoRoot, NOTEBOOKS_DIRECTORY, sourceName.replace(/\.md$/, '.ipynb')), 'utf8'))).toEqual({
      valid: true,
      version: [4, 5],
    });
  });
});

/** PyTorch's own outputs for the notebooks whose outcomes are exact. */
const notebookFixture = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/notebooks.json'), 'utf8')) as Record<
  string, { first_row: string; samples: string[]; log: string[]; cross_entropy: string }
>;

// What each tutorial is there to show, read from its executed outputs.
describe('tutorial outcomes', () => {
  it('01: w.grad is 80 and b.grad is 16', () => {
    const text = plainText(committed('01-scalar-linear-model.md'));
    expect(text).toContain('tensor(8., grad_fn=<AddBackward0>)');
    expect(text).toContain('tensor(64., grad_fn=<MseLossBackward0>)');
    expect(text).toContain('tensor(80.)\n');
    expect(text).toContain('tensor(16.)\n');
  });

  it('03: x * 3 summed has gradient 3 everywhere, accumulates to 6 and is zeroed', () => {
    const text = plainText(committed('03-autograd-basics.md'));
    expect(text).toContain('tensor([[6., 9.]], grad_fn=<MulBackward0>)');
    expect(text).toContain('tensor(15., grad_fn=<SumBackward0>)');
    expect(text).toContain('<MulBackward0 object at 0x');
    expect(text).toContain('tensor([[3., 3.]])');
    expect(text).toContain('tensor([[6., 6.]])');
    expect(text).toContain('tensor([[0., 0.]])');
  });

  it('04: the trained line is close to w = 3, b = 2', () => {
    const text = plainText(committed('04-linear-regression.md'));
    const weight = /Parameter containing:\ntensor\(\[\[(-?[\d.]+)\]\], requires_grad=True\)/.exec(text);
    const bias = /Parameter containing:\ntensor\(\[(-?[\d.]+)\], requires_grad=True\)/.exec(text);
    expect(Number(weight?.[1])).toBeCloseTo(3, 1);
    expect(Number(bias?.[1])).toBeCloseTo(2, 1);
  });

  it('05: the classifier separates the two classes', () => {
    const text = plainText(committed('05-computation-graphs.md'));
    const accuracy = /tensor\((0?\.\d+|1\.)\)\s*$/.exec(text.trimEnd());
    expect(Number(accuracy?.[1])).toBeGreaterThan(0.9);
  });

  it("06: the bigram model prints what the same computation prints in PyTorch (fixture from tools/fixtures/gen_notebooks.py)", () => {
    const expected = notebookFixture['06-bigram-model'];
    const text = plainText(committed('06-bigram-model.md'));
    expect(text).toContain(expected.first_row);
    for (const name of expected.samples) expect(text).toContain(`'${name}'`);
    for (const line of expected.log) expect(text).toContain(line);
    expect(text).toContain(expected.cross_entropy);
  });
});
