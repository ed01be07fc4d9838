import { existsSync, readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notebookToHtml } from '../kernel/notebook/export/html.js';
import { newCodeCell, newMarkdownCell, newNotebook, readNotebook, type Notebook } from '../kernel/notebook/nbformat.js';
import { repoRoot } from './helpers/jupyter-client.js';

const CHROMIUM = '/usr/bin/chromium';
/** Screenshots are kept as CI artefacts. */
const screenshotDirectory = join(repoRoot, 'out', 'screenshots');

/** An executed-looking notebook with a tensor table and a computation graph, as the runtime displays them. */
function tableAndGraphNotebook(): Notebook {
  const table = newCodeCell('x', { id: 'table' });
  table.execution_count = 1;
  table.outputs = [
    {
      output_type: 'execute_result',
      execution_count: 1,
      data: {
        'text/html': '<table class="tensor"><caption>tensor([[2., 3.]])</caption><tr><td>2.</td><td>3.</td></tr></table>',
        'text/plain': 'tensor([[2., 3.]])',
      },
      metadata: {},
    },
  ];
  const graph = newCodeCell('torch.viz.graph(z)', { id: 'graph' });
  graph.execution_count = 2;
  graph.outputs = [
    {
      output_type: 'display_data',
      data: {
        'image/svg+xml':
          '<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n<svg xmlns="http://www.w3.org/2000/svg" width="160pt" height="60pt" viewBox="0 0 160 60"><g class="node"><rect x="5" y="5" width="150" height="50" fill="#ddeeff" stroke="black"/><text x="80" y="35" text-anchor="middle">SumBackward0</text></g></svg>',
        'text/plain': '<graph>',
      },
      metadata: {},
    },
  ];
  return newNotebook({ name: 'tsgrad', display_name: 'TypeScript (tsgrad)' }, [newMarkdownCell('# A table and a graph'), table, graph]);
}

/** The notebooks whose exported pages are checked: a built one, and every committed tutorial. */
const tutorials = existsSync(join(repoRoot, 'notebooks'))
  ? readdirSync(join(repoRoot, 'notebooks')).filter((name) => name.endsWith('.ipynb')).sort()
  : [];

describe('exported pages in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (bash tools/system-deps.sh)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    await mkdir(screenshotDirectory, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  /** Opens a page, records what it requests and logs, and returns the counts of visible tables and graphs. */
  async function openExport(notebook: Notebook, name: string) {
    const file = join(screenshotDirectory, `${name}.html`);
    await writeFile(file, notebookToHtml(notebook));
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    const visibleCount = async (selector: string) => {
      let visible = 0;
      for (const element of await page.locator(selector).all()) {
        const box = await element.boundingBox();
        if ((await element.isVisible()) && box !== null && box.width > 0 && box.height > 0) visible += 1;
      }
      return visible;
    };
    const result = {
      tables: await visibleCount('.output table'),
      graphs: await visibleCount('.output svg'),
      codeCells: await visibleCount('.code-cell pre.source'),
      external: requests.filter((url) => !url.startsWith('file:') && !url.startsWith('data:')),
      problems,
      title: await page.title(),
    };
    await page.screenshot({ path: join(screenshotDirectory, `${name}.png`), fullPage: true });
    await page.close();
    return result;
  }

  it('shows the tensor table and the SVG graph, requesting nothing from the network', async () => {
    const shown = await openExport(tableAndGraphNotebook(), 'table-and-graph');
    expect(shown).toEqual({ tables: 1, graphs: 1, codeCells: 2, external: [], problems: [], title: 'A table and a graph' });
  });

  it.each(tutorials)('shows the tutorial %s with its tables and graphs', async (name) => {
    const notebook = await readNotebook(join(repoRoot, 'notebooks', name));
    const expectedTables = notebook.cells.flatMap((cell) => (cell.cell_type === 'code' ? cell.outputs : [])).filter(
      (output) => 'data' in output && typeof output.data['text/html'] === 'string' && output.data['text/html'].includes('<table'),
    ).length;
    const shown = await openExport(notebook, name.replace(/\.ipynb$/, ''));
    expect(shown.external).toEqual([]);
    expect(shown.problems).toEqual([]);
    expect(shown.tables).toBeGreaterThanOrEqual(expectedTables);
    expect(shown.codeCells).toBe(notebook.cells.filter((cell) => cell.cell_type === 'code').length);
  });
});
