/**
 * Turns one TypeScript cell into a script for the persistent context, REPL style:
 * top-level declarations become assignments to globals (so later cells see them and re-running a cell
 * replaces them), function declarations stay at script level (hoisted), imports become awaited dynamic
 * imports, and the last expression statement becomes the cell's value.
 */
import type { BindingElement, BindingName, CompilerOptions, Diagnostic, Expression, Identifier, ImportDeclaration, ModifierLike, Node, NodeArray, NodeFactory, SourceFile, Statement, StringLiteral, TransformationContext } from 'typescript';
import ts from './typescript.js';
import { operatorTransformer, type CellRewrites } from './operators.js';

/** The global object through which compiled cells reach the interpreter (imports). */
export const CELL_RUNTIME_GLOBAL = '__tsgrad';

/** A compiled cell: the script text, its source map (to the cell's TypeScript) and whether it awaits. */
export interface CompiledCell {
  readonly script: string;
  readonly sourceMap: string;
  readonly isAsync: boolean;
  /** Syntax errors found while transpiling (the cell cannot run). */
  readonly diagnostics: readonly Diagnostic[];
}

const compilerOptions: CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  sourceMap: true,
  verbatimModuleSyntax: true,
  useDefineForClassFields: true,
};

/**
 * How many distinct cells keep their compiled form. Transpiling builds a program and a type checker each time,
 * most of a small cell's time and garbage; a cell run again (with the same rewrites) skips it.
 */
const COMPILED_CELLS_KEPT = 64;
const compiledCells = new Map<string, CompiledCell>();

/**
 * Compiles a cell's TypeScript into a script that runs in the shared global scope, with the operator
 * rewrites the checker found (`CellChecker.rewrites`).
 */
export function compileCell(code: string, rewrites?: CellRewrites): CompiledCell {
  const key = `${rewrites ? JSON.stringify([[...rewrites.operators], [...rewrites.floats]]) : ''}\0${code}`;
  let compiled = compiledCells.get(key);
  if (compiled) {
    // Re-inserted below as the most recently used; the least recently used is the first to go.
    compiledCells.delete(key);
  } else {
    compiled = transpileCell(code, rewrites);
    if (compiledCells.size >= COMPILED_CELLS_KEPT) compiledCells.delete(compiledCells.keys().next().value!);
  }
  compiledCells.set(key, compiled);
  return compiled;
}

function transpileCell(code: string, rewrites: CellRewrites | undefined): CompiledCell {
  let isAsync = false;
  const output = ts.transpileModule(code, {
    compilerOptions,
    fileName: 'cell.ts',
    reportDiagnostics: true,
    transformers: {
      before: rewrites ? [operatorTransformer(rewrites, CELL_RUNTIME_GLOBAL)] : [],
      after: [(context) => (sourceFile) => {
        const rewritten = rewriteTopLevel(context, routeDynamicImports(context, sourceFile));
        isAsync = rewritten.isAsync;
        return rewritten.sourceFile;
      }],
    },
  });
  const script = output.outputText.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  return { script, sourceMap: output.sourceMapText ?? '', isAsync, diagnostics: output.diagnostics ?? [] };
}

function rewriteTopLevel(context: TransformationContext, sourceFile: SourceFile): { sourceFile: SourceFile; isAsync: boolean } {
  const factory = context.factory;
  const globals = new Set<string>();
  const hoistedFunctions: Statement[] = [];
  const body: Statement[] = [];
  let isAsync = false;
  let moduleCount = 0;
  const statements = sourceFile.statements;

  const assignTo = (name: Identifier, value: Expression, original: Node): Statement => {
    globals.add(name.text);
    return ts.setTextRange(factory.createExpressionStatement(factory.createAssignment(factory.createIdentifier(name.text), value)), original);
  };

  for (const [index, statement] of statements.entries()) {
    const isLast = index === statements.length - 1;
    if (ts.isImportDeclaration(statement)) {
      isAsync = true;
      body.push(...importAsAssignments(factory, statement, `${CELL_RUNTIME_GLOBAL}_module${moduleCount++}`, globals));
    } else if (ts.isExportDeclaration(statement)) {
      continue;
    } else if (ts.isExportAssignment(statement)) {
      body.push(ts.setTextRange(factory.createExpressionStatement(statement.expression), statement));
    } else if (ts.isFunctionDeclaration(statement) && statement.body) {
      hoistedFunctions.push(factory.updateFunctionDeclaration(statement, withoutExport(statement.modifiers), statement.asteriskToken,
        statement.name ?? factory.createIdentifier('default'), statement.typeParameters, statement.parameters, statement.type, statement.body));
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const expression = factory.createClassExpression(withoutExport(statement.modifiers), statement.name, statement.typeParameters,
        statement.heritageClauses, statement.members);
      body.push(assignTo(statement.name, ts.setTextRange(expression, statement), statement));
    } else if (ts.isVariableStatement(statement)) {
      const list = interruptibleAwaits(context, statement).declarationList;
      const isVar = (list.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const | ts.NodeFlags.Using)) === 0;
      for (const declaration of list.declarations) {
        for (const name of boundNames(declaration.name)) globals.add(name);
        if (declaration.initializer) {
          const target = bindingTarget(factory, declaration.name);
          body.push(ts.setTextRange(factory.createExpressionStatement(
            factory.createAssignment(target as Identifier, declaration.initializer)), declaration));
        } else if (!isVar && ts.isIdentifier(declaration.name)) {
          body.push(assignTo(declaration.name, factory.createVoidZero(), declaration));
        }
      }
      isAsync ||= containsTopLevelAwait(statement);
    } else if (isLast && ts.isExpressionStatement(statement)) {
      isAsync ||= containsTopLevelAwait(statement);
      body.push(ts.setTextRange(factory.createReturnStatement(interruptibleAwaits(context, statement).expression), statement));
    } else {
      isAsync ||= containsTopLevelAwait(statement);
      body.push(interruptibleAwaits(context, statement));
    }
  }

  const wrapper = factory.createExpressionStatement(factory.createCallExpression(
    factory.createParenthesizedExpression(factory.createArrowFunction(
      isAsync ? [factory.createModifier(ts.SyntaxKind.AsyncKeyword)] : undefined, undefined, [], undefined,
      factory.createToken(ts.SyntaxKind.EqualsGreaterThanToken), factory.createBlock(body, true))),
    undefined, []));
  const declarations = globals.size === 0 ? [] : [factory.createVariableStatement(undefined,
    factory.createVariableDeclarationList([...globals].map((name) => factory.createVariableDeclaration(name))))];
  return { sourceFile: factory.updateSourceFile(sourceFile, [...declarations, ...hoistedFunctions, wrapper]), isAsync };
}

function importAsAssignments(factory: NodeFactory, statement: ImportDeclaration, moduleName: string, globals: Set<string>): Statement[] {
  const specifier = (statement.moduleSpecifier as StringLiteral).text;
  const loaded = factory.createAwaitExpression(factory.createCallExpression(
    factory.createPropertyAccessExpression(factory.createIdentifier(CELL_RUNTIME_GLOBAL), 'import'), undefined,
    [factory.createStringLiteral(specifier)]));
  const clause = statement.importClause;
  if (!clause) return [ts.setTextRange(factory.createExpressionStatement(loaded), statement)];
  const moduleVariable = factory.createIdentifier(moduleName);
  const statements: Statement[] = [ts.setTextRange(factory.createVariableStatement(undefined, factory.createVariableDeclarationList(
    [factory.createVariableDeclaration(moduleVariable, undefined, undefined, loaded)], ts.NodeFlags.Const)), statement)];
  const bind = (local: string, exported: string | undefined) => {
    globals.add(local);
    const value = exported === undefined ? moduleVariable : factory.createElementAccessExpression(moduleVariable, factory.createStringLiteral(exported));
    statements.push(factory.createExpressionStatement(factory.createAssignment(factory.createIdentifier(local), value)));
  };
  if (clause.name) bind(clause.name.text, 'default');
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) bind(bindings.name.text, undefined);
  if (bindings && ts.isNamedImports(bindings)) {
    for (const element of bindings.elements) {
      if (element.isTypeOnly) continue;
      bind(element.name.text, (element.propertyName ?? element.name).text);
    }
  }
  return statements;
}

function withoutExport(modifiers: NodeArray<ModifierLike> | undefined): ModifierLike[] | undefined {
  return modifiers?.filter((modifier) => modifier.kind !== ts.SyntaxKind.ExportKeyword && modifier.kind !== ts.SyntaxKind.DefaultKeyword);
}

/** The identifiers a binding name (identifier or destructuring pattern) declares. */
export function boundNames(name: BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((element) => (ts.isOmittedExpression(element) ? [] : boundNames(element.name)));
}

/** A destructuring binding pattern as the equivalent assignment target. */
function bindingTarget(factory: NodeFactory, name: BindingName): Expression {
  if (ts.isIdentifier(name)) return factory.createIdentifier(name.text);
  const withDefault = (element: BindingElement): Expression => {
    const target = bindingTarget(factory, element.name);
    return element.initializer ? factory.createAssignment(target, element.initializer) : target;
  };
  if (ts.isArrayBindingPattern(name)) {
    return factory.createArrayLiteralExpression(name.elements.map((element) => {
      if (ts.isOmittedExpression(element)) return factory.createOmittedExpression();
      return element.dotDotDotToken ? factory.createSpreadElement(bindingTarget(factory, element.name)) : withDefault(element);
    }));
  }
  return factory.createObjectLiteralExpression(name.elements.map((element) => {
    if (element.dotDotDotToken) return factory.createSpreadAssignment(bindingTarget(factory, element.name));
    if (!element.propertyName && ts.isIdentifier(element.name)) {
      return factory.createShorthandPropertyAssignment(element.name.text, element.initializer);
    }
    return factory.createPropertyAssignment(element.propertyName ?? (element.name as Identifier).text, withDefault(element));
  }));
}

/** Sends `import(x)` anywhere in the cell through the runtime's resolution (working directory, then tsgrad's packages). */
function routeDynamicImports(context: TransformationContext, sourceFile: SourceFile): SourceFile {
  const factory = context.factory;
  const visit = (node: Node): Node => {
    const visited = ts.visitEachChild(node, visit, context);
    if (!ts.isCallExpression(visited) || visited.expression.kind !== ts.SyntaxKind.ImportKeyword) return visited;
    return factory.updateCallExpression(visited,
      factory.createPropertyAccessExpression(factory.createIdentifier(CELL_RUNTIME_GLOBAL), 'import'), undefined, visited.arguments.slice(0, 1));
  };
  return ts.visitEachChild(sourceFile, visit, context);
}

/**
 * Routes the cell's own awaits through the runtime's `interruptible`, so that an interrupt while the cell
 * awaits stops the cell there instead of letting it carry on in the background.
 */
function interruptibleAwaits<T extends Node>(context: TransformationContext, node: T): T {
  const factory = context.factory;
  const visit = (child: Node): Node => {
    if (ts.isFunctionLike(child) || ts.isClassStaticBlockDeclaration(child)) return child;
    const visited = ts.visitEachChild(child, visit, context);
    if (!ts.isAwaitExpression(visited)) return visited;
    return factory.updateAwaitExpression(visited, factory.createCallExpression(
      factory.createPropertyAccessExpression(factory.createIdentifier(CELL_RUNTIME_GLOBAL), 'interruptible'), undefined, [visited.expression]));
  };
  return visit(node) as T;
}

/** Whether `node` awaits outside any nested function (top-level await, `for await`). */
function containsTopLevelAwait(node: Node): boolean {
  if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) return true;
  if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return false;
  if (ts.isVariableDeclarationList(node) && (node.flags & ts.NodeFlags.AwaitUsing) === ts.NodeFlags.AwaitUsing) return true;
  return ts.forEachChild(node, containsTopLevelAwait) ?? false;
}
