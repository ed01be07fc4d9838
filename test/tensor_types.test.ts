import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';

const runtime = fileURLToPath(new URL('../src/index.js', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'tsgrad-types-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Type-checks `files` (name → source) as the project does (strict, NodeNext) and returns the diagnostics' text. */
function typeErrors(files: Record<string, string>): string[] {
  const paths = Object.entries(files).map(([name, source]) => {
    const path = join(workDir, name);
    writeFileSync(path, source);
    return path;
  });
  const program = ts.createProgram(paths, {
    strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true, types: [],
  });
  return ts.getPreEmitDiagnostics(program)
    .filter((diagnostic) => diagnostic.file === undefined || paths.includes(diagnostic.file.fileName))
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

const annotated = `
let t: torch.Tensor = torch.ones(2);
const size: torch.Size = t.shape;
const kind: torch.dtype = torch.float32;
function fit(model: torch.nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor): torch.Tensor {
  optimizer.zero_grad();
  const loss = model.forward(x).sum();
  loss.backward();
  optimizer.step();
  return loss;
}
const layer: torch.nn.Linear = torch.nn.Linear(2, 1);
const weight: torch.nn.Parameter = layer.weight;
const sgd: torch.optim.SGD = torch.optim.SGD(layer.parameters(), { lr: 0.1 });
const adam: torch.optim.Adam = torch.optim.Adam(layer.parameters());
const node: torch.autograd.graph.Node | null = weight.mul(2).grad_fn;
const stack: torch.nn.Sequential = torch.nn.Sequential(layer, torch.nn.ReLU());
t = fit(stack, sgd, t);
export { size, kind, adam, node };
`;

describe('torch.Tensor, torch.nn.Linear, torch.optim.SGD... are types too', () => {
  test('in TypeScript that imports torch', () => {
    expect(typeErrors({ 'module.ts': `import torch from ${JSON.stringify(runtime)};\n${annotated}` })).toEqual([]);
  });

  test('in cells, where torch is a global re-exported with its types', () => {
    const globals = `import { torch as runtimeTorch } from ${JSON.stringify(runtime)};\ndeclare global {\n  export import torch = runtimeTorch;\n}\nexport {};\n`;
    expect(typeErrors({ 'globals.d.ts': globals, 'cell.ts': annotated })).toEqual([]);
  });

  test('and they are checked: a module is not a tensor', () => {
    const wrong = `import torch from ${JSON.stringify(runtime)};\nconst t: torch.Tensor = torch.nn.Linear(2, 1);\nexport { t };\n`;
    expect(typeErrors({ 'wrong.ts': wrong }).join('\n')).toMatch(/Type 'Linear' is missing the following properties from type 'Tensor'/);
  });
});
