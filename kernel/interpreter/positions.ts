/**
 * Jupyter counts cursor positions in Unicode code points; TypeScript and JavaScript strings count UTF-16 units.
 */

/** Converts a code-point offset in `text` to a UTF-16 offset. */
export function codePointToUtf16(text: string, codePoints: number): number {
  let utf16 = 0;
  for (let seen = 0; seen < codePoints && utf16 < text.length; seen++) {
    utf16 += (text.codePointAt(utf16) ?? 0) > 0xffff ? 2 : 1;
  }
  return utf16;
}

/** Converts a UTF-16 offset in `text` to a code-point offset. */
export function utf16ToCodePoint(text: string, utf16: number): number {
  let codePoints = 0;
  for (let index = 0; index < utf16 && index < text.length; codePoints++) {
    index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  }
  return codePoints;
}

/** One-based line and column (column in code points) of a UTF-16 offset in `text`. */
export function lineAndColumn(text: string, utf16: number): { line: number; column: number } {
  const before = text.slice(0, utf16);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: utf16ToCodePoint(before.slice(lineStart), utf16 - lineStart) + 1 };
}
