/**
 * Syntax highlighting of TypeScript for exported pages, with TypeScript's own scanner: tokens become
 * `<span class="tok-...">`, everything else is escaped text. Regular expressions and template literals
 * need the scanner's re-scan calls, which depend on the previous token and on brace depth.
 */
import ts from 'typescript';
import { escapeHtml } from './html-escape.js';

/** The token classes the stylesheet colours. */
export type TokenClass = 'keyword' | 'string' | 'number' | 'comment' | 'regexp' | 'function';

/** Tokens after which a `/` divides; after anything else it starts a regular expression. */
const ENDS_OPERAND = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.PrivateIdentifier,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.BigIntLiteral,
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.PlusPlusToken,
  ts.SyntaxKind.MinusMinusToken,
  ts.SyntaxKind.ThisKeyword,
  ts.SyntaxKind.SuperKeyword,
  ts.SyntaxKind.TrueKeyword,
  ts.SyntaxKind.FalseKeyword,
  ts.SyntaxKind.NullKeyword,
]);

const TRIVIA = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.WhitespaceTrivia,
  ts.SyntaxKind.NewLineTrivia,
  ts.SyntaxKind.SingleLineCommentTrivia,
  ts.SyntaxKind.MultiLineCommentTrivia,
  ts.SyntaxKind.ShebangTrivia,
  ts.SyntaxKind.ConflictMarkerTrivia,
]);

/** `afterDot`: the token names a property (`x.delete`), so it is no keyword whatever its spelling. */
function classOf(kind: ts.SyntaxKind, next: string, afterDot: boolean): TokenClass | null {
  switch (kind) {
    case ts.SyntaxKind.SingleLineCommentTrivia:
    case ts.SyntaxKind.MultiLineCommentTrivia:
    case ts.SyntaxKind.ShebangTrivia:
      return 'comment';
    case ts.SyntaxKind.StringLiteral:
    case ts.SyntaxKind.NoSubstitutionTemplateLiteral:
    case ts.SyntaxKind.TemplateHead:
    case ts.SyntaxKind.TemplateMiddle:
    case ts.SyntaxKind.TemplateTail:
      return 'string';
    case ts.SyntaxKind.NumericLiteral:
    case ts.SyntaxKind.BigIntLiteral:
      return 'number';
    case ts.SyntaxKind.RegularExpressionLiteral:
      return 'regexp';
    default: {
      const isKeyword = kind >= ts.SyntaxKind.FirstKeyword && kind <= ts.SyntaxKind.LastKeyword;
      if (kind === ts.SyntaxKind.Identifier || (isKeyword && afterDot)) return next.startsWith('(') ? 'function' : null;
      return isKeyword ? 'keyword' : null;
    }
  }
}

/** Splits TypeScript source into coloured tokens and plain text, covering the source exactly. */
export function tokenize(source: string): { text: string; tokenClass: TokenClass | null }[] {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, source);
  const tokens: { text: string; tokenClass: TokenClass | null }[] = [];
  const templateBraceDepths: number[] = [];
  let braceDepth = 0;
  let previous: ts.SyntaxKind | undefined;
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if ((kind === ts.SyntaxKind.SlashToken || kind === ts.SyntaxKind.SlashEqualsToken) && (previous === undefined || !ENDS_OPERAND.has(previous))) {
      kind = scanner.reScanSlashToken();
    } else if (kind === ts.SyntaxKind.OpenBraceToken) {
      braceDepth += 1;
    } else if (kind === ts.SyntaxKind.CloseBraceToken) {
      if (templateBraceDepths.at(-1) === braceDepth) {
        kind = scanner.reScanTemplateToken(false);
        if (kind === ts.SyntaxKind.TemplateTail) templateBraceDepths.pop();
      } else {
        braceDepth -= 1;
      }
    }
    if (kind === ts.SyntaxKind.TemplateHead) templateBraceDepths.push(braceDepth);
    const start = scanner.getTokenStart();
    const end = scanner.getTokenEnd();
    const text = source.slice(start, end);
    const afterDot = previous === ts.SyntaxKind.DotToken || previous === ts.SyntaxKind.QuestionDotToken;
    tokens.push({ text, tokenClass: classOf(kind, source.slice(end).trimStart(), afterDot) });
    if (!TRIVIA.has(kind)) previous = kind;
  }
  return tokens;
}

/** TypeScript source as escaped HTML with `<span class="tok-...">` around coloured tokens. */
export function highlightTypeScript(source: string): string {
  return tokenize(source)
    .map(({ text, tokenClass }) => (tokenClass === null ? escapeHtml(text) : `<span class="tok-${tokenClass}">${escapeHtml(text)}</span>`))
    .join('');
}
