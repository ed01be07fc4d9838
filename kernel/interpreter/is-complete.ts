/**
 * Whether a cell is ready to run, for consoles that decide between running and adding a line:
 * unclosed brackets, template literals and block comments are `incomplete` (with an indent for the next line),
 * syntax that no further line can repair is `invalid`, anything else `complete`.
 */
import type { SyntaxKind } from 'typescript';
import ts from './typescript.js';

/** The is_complete verdict of a cell. */
export interface Completeness {
  status: 'complete' | 'incomplete' | 'invalid';
  indent?: string;
}

const OPENERS = new Map([[ts.SyntaxKind.OpenParenToken, ts.SyntaxKind.CloseParenToken],
  [ts.SyntaxKind.OpenBracketToken, ts.SyntaxKind.CloseBracketToken], [ts.SyntaxKind.OpenBraceToken, ts.SyntaxKind.CloseBraceToken]]);
const CLOSERS = new Set(OPENERS.values());
const INDENT_UNIT = '  ';
// The scanner's diagnostic codes ("Unterminated string literal.", "Unterminated template literal.", "'*/' expected.").
const UNTERMINATED_STRING = 1002;
const UNTERMINATED_TEMPLATE = 1160;
const UNTERMINATED_COMMENT = 1010;

/** Judges whether `code` is complete, incomplete or invalid. */
export function judgeCompleteness(code: string): Completeness {
  let unterminated: 'string' | 'continuable' | undefined;
  const scanner = ts.createScanner(ts.ScriptTarget.ES2022, false, ts.LanguageVariant.Standard, code, (message) => {
    if (message.code === UNTERMINATED_STRING) unterminated = 'string';
    if (message.code === UNTERMINATED_TEMPLATE || message.code === UNTERMINATED_COMMENT) unterminated = 'continuable';
  });
  const open: SyntaxKind[] = [];
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.TemplateHead) open.push(token);
    else if (OPENERS.has(token)) open.push(OPENERS.get(token)!);
    else if (token === ts.SyntaxKind.CloseBraceToken && open.at(-1) === ts.SyntaxKind.TemplateHead) {
      if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateTail) open.pop();
    } else if (CLOSERS.has(token)) {
      if (open.pop() !== token) return { status: 'invalid' };
    }
  }
  if (unterminated === 'string') return { status: 'invalid' };
  const lastLine = code.slice(code.lastIndexOf('\n') + 1);
  const currentIndent = /^\s*/.exec(lastLine)![0];
  if (unterminated === 'continuable') return { status: 'incomplete', indent: '' };
  if (open.length > 0) return { status: 'incomplete', indent: currentIndent + INDENT_UNIT };
  const diagnostics = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { target: ts.ScriptTarget.ES2022 } }).diagnostics ?? [];
  if (diagnostics.length === 0) return { status: 'complete' };
  const endsEarly = diagnostics.some((diagnostic) => (diagnostic.start ?? 0) >= code.trimEnd().length);
  return endsEarly ? { status: 'incomplete', indent: currentIndent } : { status: 'invalid' };
}
