/**
 * Arithmetic operators on tensors in cells (`z = x * w + b`), by type-aware rewriting.
 *
 * The checker finds the operator expressions whose operands may be tensors (or are `any`) and rewrites them,
 * innermost first, into calls typed to return `Tensor`; it re-checks until nothing new turns up, so that
 * `const z = x * w; z + 1` is found too. A position map leads from the rewritten text back to the cell, for
 * diagnostics, completion and inspect. The compiled cell gets the same rewrites on its own syntax tree (so its
 * source map still points into the cell), calling the dispatchers of `createCellOperators` at run time.
 * Arithmetic the checker knows to be on numbers, bigints or strings is left exactly as written.
 */
import type { BinaryExpression, CallExpression, Diagnostic, Expression, NewExpression, Node, NodeFactory, PrefixUnaryExpression, SourceFile, StringLiteral, SyntaxKind, TransformerFactory, Type, TypeChecker } from 'typescript';
import ts from './typescript.js';

/** The operators rewritten on tensors; comparisons are not (`<` must stay a boolean in ordinary code). */
export type ArithmeticOperator = '+' | '-' | '*' | '/' | '**' | '%';

/** How an operator expression is rewritten: statically on a tensor, or on an `any` operand that may be one. */
export type RewriteKind = 'tensor' | 'dynamic';

/** What the compiled cell rewrites, each node named by its `start:end` span in the cell's text. */
export interface CellRewrites {
  operators: Map<string, RewriteKind>;
  /** Integral float literals (`0.`, `1.0`, `3e2`, `-2.`) passed to the runtime, which become Python floats. */
  floats: Set<string>;
}

/** A cell as the checker sees it: the rewritten text, the way back to the cell's positions, and the rewrites. */
export interface RewrittenCell {
  text: string;
  map: PositionMap;
  rewrites: CellRewrites;
}

/** A type-checked view of a text: its syntax tree and checker, the text starting at `offset` of the file. */
export interface TypedText {
  sourceFile: SourceFile;
  checker: TypeChecker;
  offset: number;
}

const binaryOperators = new Map<SyntaxKind, ArithmeticOperator>([
  [ts.SyntaxKind.PlusToken, '+'], [ts.SyntaxKind.MinusToken, '-'], [ts.SyntaxKind.AsteriskToken, '*'],
  [ts.SyntaxKind.SlashToken, '/'], [ts.SyntaxKind.AsteriskAsteriskToken, '**'], [ts.SyntaxKind.PercentToken, '%'],
]);
const compoundOperators = new Map<SyntaxKind, ArithmeticOperator>([
  [ts.SyntaxKind.PlusEqualsToken, '+'], [ts.SyntaxKind.MinusEqualsToken, '-'], [ts.SyntaxKind.AsteriskEqualsToken, '*'],
  [ts.SyntaxKind.SlashEqualsToken, '/'], [ts.SyntaxKind.AsteriskAsteriskEqualsToken, '**'], [ts.SyntaxKind.PercentEqualsToken, '%'],
]);
const unaryOperators = new Map<SyntaxKind, '-' | '+'>([[ts.SyntaxKind.MinusToken, '-'], [ts.SyntaxKind.PlusToken, '+']]);

/** Names the rewritten text calls; declared by `operatorDeclarations`. */
const CHECKED_BINARY = '__tsgrad_binary';
const CHECKED_UNARY = '__tsgrad_unary';
const CHECKED_DYNAMIC = '__tsgrad_dynamic';

/** Each pass settles at least one more expression; results reached only through functions' inferred return types may need several. */
const MAX_PASSES = 20;

type OperatorNode = BinaryExpression | PrefixUnaryExpression;

/** The ambient declarations that type the rewritten calls, given the module specifier of the runtime. */
export function operatorDeclarations(runtimeModule: string): string {
  const tensor = `import(${JSON.stringify(runtimeModule)}).Tensor`;
  return `declare global {
  type __tsgrad_Scalar = number | boolean | Number;
  type __tsgrad_Operator = '+' | '-' | '*' | '/' | '**' | '%';
  function ${CHECKED_BINARY}(op: __tsgrad_Operator, a: ${tensor}, b: ${tensor} | __tsgrad_Scalar): ${tensor};
  function ${CHECKED_BINARY}(op: __tsgrad_Operator, a: __tsgrad_Scalar, b: ${tensor}): ${tensor};
  function ${CHECKED_BINARY}(op: __tsgrad_Operator, a: ${tensor} | __tsgrad_Scalar, b: ${tensor} | __tsgrad_Scalar): ${tensor} | number;
  function ${CHECKED_UNARY}(op: '-' | '+', a: ${tensor}): ${tensor};
  function ${CHECKED_UNARY}(op: '-' | '+', a: ${tensor} | __tsgrad_Scalar): ${tensor} | number;
  function ${CHECKED_DYNAMIC}(op: string, ...operands: any[]): any;
}
export {};
`;
}

/** Positions in a rewritten text, mapped back to the cell: copied stretches map one to one, inserted text to an anchor. */
export class PositionMap {
  constructor(private readonly segments: readonly { start: number; end: number; original: number; copied: boolean }[], private readonly originalLength: number) {}

  /** The identity map of an unchanged text. */
  static identity(length: number): PositionMap {
    return new PositionMap([{ start: 0, end: length, original: 0, copied: true }], length);
  }

  /** The cell offset of a rewritten offset; `end` reads it as the end of a span rather than its start. */
  toOriginal(offset: number, end = false): number {
    for (const segment of this.segments) {
      const inside = end ? segment.start < offset && offset <= segment.end : segment.start <= offset && offset < segment.end;
      if (inside) return segment.copied ? segment.original + offset - segment.start : segment.original;
    }
    return this.originalLength;
  }

  /** The rewritten offset of a cell offset (a cursor), in the first copy of the text around it. */
  toRewritten(offset: number): number {
    let fallback = this.segments.at(-1)?.end ?? 0;
    for (const segment of this.segments) {
      if (!segment.copied) continue;
      const length = segment.end - segment.start;
      if (segment.original <= offset && offset <= segment.original + length) return segment.start + offset - segment.original;
      if (segment.original > offset) {
        fallback = Math.min(fallback, segment.start);
        break;
      }
    }
    return fallback;
  }
}

/** The `start:end` key of a node in its file. */
function spanKey(start: number, end: number): string {
  return `${start}:${end}`;
}

function parseCell(code: string): SourceFile {
  return ts.createSourceFile('cell.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

/** The arithmetic operator of a node the rewrite may concern, with the operands the checker looks at. */
function operatorOf(node: Node): { operator: ArithmeticOperator; operands: Expression[]; compound: boolean } | undefined {
  if (ts.isBinaryExpression(node)) {
    const binary = binaryOperators.get(node.operatorToken.kind);
    if (binary) return { operator: binary, operands: [node.left, node.right], compound: false };
    const compound = compoundOperators.get(node.operatorToken.kind);
    if (compound) return { operator: compound, operands: [node.left, node.right], compound: true };
  } else if (ts.isPrefixUnaryExpression(node)) {
    const unary = unaryOperators.get(node.operator);
    if (unary) return { operator: unary, operands: [node.operand], compound: false };
  }
  return undefined;
}

function collectOperatorNodes(sourceFile: SourceFile): Map<string, OperatorNode> {
  const found = new Map<string, OperatorNode>();
  const visit = (node: Node): void => {
    // An operand left out (`x * ;`) stays as written, so that the syntax error reads as TypeScript's.
    const complete = operatorOf(node)?.operands.every((operand) => operand.getStart(sourceFile) < operand.end);
    if (complete) found.set(spanKey(node.getStart(sourceFile), node.end), node as OperatorNode);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return found;
}

function withoutParentheses(node: Expression): Expression {
  return ts.isParenthesizedExpression(node) ? withoutParentheses(node.expression) : node;
}

/** Whether a type is (or, as a union, may be) a Tensor: an object with a grad_fn and backward. */
function mayBeTensor(type: Type, checker: TypeChecker): boolean {
  if (type.isUnion()) return type.types.some((member) => mayBeTensor(member, checker));
  const apparent = checker.getApparentType(type);
  return (apparent.flags & ts.TypeFlags.Object) !== 0
    && checker.getPropertyOfType(apparent, 'grad_fn') !== undefined && checker.getPropertyOfType(apparent, 'backward') !== undefined;
}

/**
 * Rewrites a cell's operators on tensors into typed calls, checking the text with `typesOf` after each pass
 * until no operator expression with a tensor (or `any`) operand is left. `isRuntimeFile` tells which
 * declaration files are the runtime's (for float literals in calls to it).
 */
export function rewriteCell(code: string, typesOf: (text: string) => TypedText, isRuntimeFile: (fileName: string) => boolean): RewrittenCell {
  const cell = parseCell(code);
  const candidates = collectOperatorNodes(cell);
  const rewrites: CellRewrites = { operators: new Map(), floats: new Set() };
  if (candidates.size === 0 && !/\d\.|\de/i.test(code)) return { text: code, map: PositionMap.identity(code.length), rewrites };

  let rendered = { text: code, map: PositionMap.identity(code.length) };
  let typed = typesOf(code);
  for (let pass = 0; pass < MAX_PASSES && candidates.size > 0; pass++) {
    if (!findRewrites(typed, rendered.map, candidates, rewrites.operators)) break;
    rendered = render(cell, candidates, rewrites.operators);
    typed = typesOf(rendered.text);
  }
  findFloatLiterals(typed, rendered.map, rewrites, isRuntimeFile);
  return { ...rendered, rewrites };
}

/** One pass over the checked text: records operator expressions with a tensor or `any` operand. True if any is new. */
function findRewrites(typed: TypedText, map: PositionMap, candidates: Map<string, OperatorNode>, found: Map<string, RewriteKind>): boolean {
  const { sourceFile, checker, offset } = typed;
  const tensorsThisPass = new Set<Node>();
  let changed = false;
  const classify = (operand: Expression): RewriteKind | undefined => {
    const inner = withoutParentheses(operand);
    if (tensorsThisPass.has(inner) || initializedWithTensor(inner)) return 'tensor';
    const type = checker.getTypeAtLocation(inner);
    if (type.flags & ts.TypeFlags.Any) return 'dynamic';
    return mayBeTensor(type, checker) ? 'tensor' : undefined;
  };
  // `const y = x * 2; y + 1` in one pass: y's declared type is still TypeScript's `number` for `x * 2`.
  const initializedWithTensor = (expression: Expression): boolean => {
    if (!ts.isIdentifier(expression)) return false;
    const declaration = checker.getSymbolAtLocation(expression)?.valueDeclaration;
    return declaration !== undefined && ts.isVariableDeclaration(declaration) && !declaration.type && declaration.initializer !== undefined
      && tensorsThisPass.has(withoutParentheses(declaration.initializer));
  };
  const visit = (node: Node): void => {
    ts.forEachChild(node, visit);
    const operator = operatorOf(node);
    if (!operator || node.getStart(sourceFile) < offset) return;
    const kinds = operator.operands.map(classify);
    const kind = kinds.includes('tensor') ? 'tensor' : kinds.includes('dynamic') ? 'dynamic' : undefined;
    if (!kind) return;
    if (kind === 'tensor') tensorsThisPass.add(node);
    const key = spanKey(map.toOriginal(node.getStart(sourceFile) - offset), map.toOriginal(node.end - offset, true));
    if (!candidates.has(key) || found.get(key) === kind || found.get(key) === 'tensor') return;
    found.set(key, kind);
    changed = true;
  };
  visit(sourceFile);
  return changed;
}

/** The cell's text with the chosen operator expressions written as calls, and its position map. */
function render(cell: SourceFile, candidates: Map<string, OperatorNode>, chosen: Map<string, RewriteKind>): { text: string; map: PositionMap } {
  const code = cell.text;
  const targets = [...chosen.keys()].map((key) => candidates.get(key)!)
    .sort((a, b) => a.getStart(cell) - b.getStart(cell) || b.end - a.end);
  const segments: { start: number; end: number; original: number; copied: boolean }[] = [];
  let text = '';
  const copy = (start: number, end: number): void => {
    if (end <= start) return;
    segments.push({ start: text.length, end: text.length + end - start, original: start, copied: true });
    text += code.slice(start, end);
  };
  const insert = (inserted: string, anchor: number): void => {
    segments.push({ start: text.length, end: text.length + inserted.length, original: anchor, copied: false });
    text += inserted;
  };
  const emitRange = (start: number, end: number): void => {
    let position = start;
    for (const target of targets) {
      const targetStart = target.getStart(cell);
      if (targetStart < position || target.end > end) continue;
      copy(position, targetStart);
      emitNode(target);
      position = target.end;
    }
    copy(position, end);
  };
  const emitOperand = (operand: Node): void => emitRange(operand.getStart(cell), operand.end);
  const emitNode = (node: OperatorNode): void => {
    const start = node.getStart(cell);
    const { operator, operands, compound } = operatorOf(node)!;
    const kind = chosen.get(spanKey(start, node.end));
    const callee = kind === 'dynamic' ? CHECKED_DYNAMIC : operands.length === 1 ? CHECKED_UNARY : CHECKED_BINARY;
    const operatorStart = ts.isBinaryExpression(node) ? node.operatorToken.getStart(cell) : start;
    if (compound) {
      emitOperand(operands[0]!);
      insert(` = ${callee}(${JSON.stringify(operator)}, `, operatorStart);
    } else {
      insert(`${callee}(${JSON.stringify(operator)}, `, start);
    }
    operands.forEach((operand, index) => {
      if (index > 0) insert(', ', operatorStart);
      emitOperand(operand);
    });
    insert(')', node.end);
  };
  emitRange(0, code.length);
  return { text, map: new PositionMap(segments, code.length) };
}

/** TypeScript's code for "No overload matches this call", which a rewritten operator on mismatched operands gets. */
const NO_MATCHING_OVERLOAD = 2769;

/**
 * TypeScript's own wording for an operator on operands it cannot take (`Operator '+' cannot be applied to
 * types 'Tensor' and 'string'.`) in place of the overload error of a rewritten call; undefined for other errors.
 */
export function explainOperatorDiagnostic(typed: TypedText, diagnostic: Diagnostic): string | undefined {
  if (diagnostic.code !== NO_MATCHING_OVERLOAD || diagnostic.start === undefined) return undefined;
  const { sourceFile, checker } = typed;
  const find = (node: Node): CallExpression | undefined => {
    if (node.end < diagnostic.start! || node.getStart(sourceFile) > diagnostic.start!) return undefined;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.getStart(sourceFile) === diagnostic.start
      && (node.expression.text === CHECKED_BINARY || node.expression.text === CHECKED_UNARY)) return node;
    return ts.forEachChild(node, find);
  };
  const call = find(sourceFile);
  const [op, ...operands] = call?.arguments ?? [];
  if (!op || !ts.isStringLiteral(op)) return undefined;
  const types = operands.map((operand) => `'${checker.typeToString(checker.getBaseTypeOfLiteralType(checker.getTypeAtLocation(operand)))}'`);
  return types.length === 1 ? `Operator '${op.text}' cannot be applied to type ${types[0]}.` : `Operator '${op.text}' cannot be applied to types ${types.join(' and ')}.`;
}

/**
 * Integral float literals written with a point or an exponent, as arguments of calls into the runtime (or as
 * operands of a tensor operator), possibly inside arrays: JavaScript reads `2.` as `2`, Python as a float.
 */
function findFloatLiterals(typed: TypedText, map: PositionMap, rewrites: CellRewrites, isRuntimeFile: (fileName: string) => boolean): void {
  const { sourceFile, checker, offset } = typed;
  const visit = (node: Node): void => {
    ts.forEachChild(node, visit);
    if (!ts.isNumericLiteral(node) || node.getStart(sourceFile) < offset || !isWrittenAsFloat(node.text, node.getText(sourceFile)) || !Number.isInteger(Number(node.text))) return;
    let literal: Node = node;
    if (ts.isPrefixUnaryExpression(literal.parent) && unaryOperators.has(literal.parent.operator)) literal = literal.parent;
    let argument: Node = literal;
    while (ts.isParenthesizedExpression(argument.parent) || ts.isArrayLiteralExpression(argument.parent)) argument = argument.parent;
    const call = argument.parent;
    if (!(ts.isCallExpression(call) || ts.isNewExpression(call)) || !call.arguments?.includes(argument as Expression)) return;
    if (!callsRuntime(call, checker, isRuntimeFile)) return;
    rewrites.floats.add(spanKey(map.toOriginal(literal.getStart(sourceFile) - offset), map.toOriginal(literal.end - offset, true)));
  };
  visit(sourceFile);
}

function isWrittenAsFloat(value: string, written: string): boolean {
  return !/^0[xob]/i.test(written) && /[.eE]/.test(written) && value !== '';
}

function callsRuntime(call: CallExpression | NewExpression, checker: TypeChecker, isRuntimeFile: (fileName: string) => boolean): boolean {
  if (ts.isIdentifier(call.expression) && call.expression.text === CHECKED_BINARY) return true;
  const declaration = checker.getResolvedSignature(call)?.declaration;
  return declaration !== undefined && isRuntimeFile(declaration.getSourceFile().fileName);
}

/**
 * A transformer for the compiled cell: the chosen operator expressions become calls to the dispatchers on
 * `runtimeGlobal` (`binary`, `unary`, `inplace`, `inplaceMember`), float literals `new Number(...)`.
 */
export function operatorTransformer(rewrites: CellRewrites, runtimeGlobal: string): TransformerFactory<SourceFile> {
  return (context) => (sourceFile) => {
    if (rewrites.operators.size === 0 && rewrites.floats.size === 0) return sourceFile;
    const factory = context.factory;
    const dispatcher = (name: string, args: Expression[]): CallExpression => factory.createCallExpression(
      factory.createPropertyAccessExpression(factory.createIdentifier(runtimeGlobal), name), undefined, args);
    const visit = (node: Node): Node => {
      const key = node.pos >= 0 ? spanKey(node.getStart(sourceFile), node.end) : '';
      const visited = ts.visitEachChild(node, visit, context);
      if (rewrites.floats.has(key) && (ts.isNumericLiteral(node) || ts.isPrefixUnaryExpression(node))) {
        return ts.setTextRange(factory.createNewExpression(factory.createIdentifier('Number'), undefined, [visited as Expression]), node);
      }
      const rewritten = rewrites.operators.has(key) ? operatorOf(node) : undefined;
      if (!rewritten) return visited;
      const { operator, compound } = rewritten;
      const op = factory.createStringLiteral(operator);
      let replacement: Expression;
      if (ts.isPrefixUnaryExpression(visited)) {
        replacement = dispatcher('unary', [op, visited.operand]);
      } else {
        const { left, right } = visited as BinaryExpression;
        replacement = compound ? compoundAssignment(factory, dispatcher, op, left, right) : dispatcher('binary', [op, left, right]);
      }
      return ts.setTextRange(replacement, node);
    };
    return ts.visitEachChild(sourceFile, visit, context);
  };
}

/**
 * `target op= value`: in place on a tensor, as Python's `__iadd__` and friends. The target's object and key
 * are evaluated once: through `inplaceMember(op, object, key, value)` unless reading them twice is harmless.
 */
function compoundAssignment(factory: NodeFactory, dispatcher: (name: string, args: Expression[]) => Expression,
  op: StringLiteral, target: Expression, value: Expression): Expression {
  const harmless = (object: Expression): boolean => ts.isIdentifier(object) || object.kind === ts.SyntaxKind.ThisKeyword || object.kind === ts.SyntaxKind.SuperKeyword;
  if (ts.isPropertyAccessExpression(target) && !harmless(target.expression) && ts.isIdentifier(target.name)) {
    return dispatcher('inplaceMember', [op, target.expression, factory.createStringLiteral(target.name.text), value]);
  }
  if (ts.isElementAccessExpression(target) && target.expression.kind !== ts.SyntaxKind.SuperKeyword) {
    return dispatcher('inplaceMember', [op, target.expression, target.argumentExpression, value]);
  }
  return factory.createAssignment(target, dispatcher('inplace', [op, target, value]));
}

/** What the run-time dispatchers need of the runtime. */
export interface OperatorRuntime {
  Tensor: abstract new (...args: never[]) => object;
  binaryOperator: (op: never, a: unknown, b: unknown) => unknown;
  unaryOperator: (op: '-' | '+', a: unknown) => unknown;
}

/** The in-place method Python's `x op= y` calls on a tensor. */
const inplaceMethods: Record<ArithmeticOperator, string> = { '+': 'add_', '-': 'sub_', '*': 'mul_', '/': 'div_', '**': 'pow_', '%': 'remainder_' };

/** The dispatchers compiled cells call: Python's semantics when a tensor takes part, JavaScript's otherwise. */
export function createCellOperators(runtime: OperatorRuntime) {
  const { Tensor, binaryOperator, unaryOperator } = runtime;
  const binary = (op: ArithmeticOperator, a: unknown, b: unknown): unknown => binaryOperator(op as never, a, b);
  const inplace = (op: ArithmeticOperator, target: unknown, value: unknown): unknown => {
    if (!(target instanceof Tensor)) return binary(op, target, value);
    const method = (target as unknown as Record<string, unknown>)[inplaceMethods[op]];
    if (typeof method !== 'function') return binary(op, target, value);
    return (method as (value: unknown) => unknown).call(target, value);
  };
  return {
    /** `a op b`. */
    binary,
    /** `-a`, `+a`. */
    unary: (op: '-' | '+', a: unknown): unknown => (a instanceof Tensor ? unaryOperator(op, a) : op === '-' ? -(a as number) : +(a as number)),
    /** The new value of `target op= value`: the tensor itself, changed in place, or `target op value`. */
    inplace,
    /** `object[key] op= value`, reading the object and key once. */
    inplaceMember: (op: ArithmeticOperator, object: Record<PropertyKey, unknown>, key: PropertyKey, value: unknown): unknown =>
      (object[key] = inplace(op, object[key], value)),
  };
}
