/** MIME bundles and the display convention shared with the kernel (which the runtime never imports). */

/** A MIME bundle: MIME type to its text, as Jupyter's `display_data` carries it. */
export type MimeBundle = { 'text/plain': string } & Record<string, string>;

/** The symbol an object implements to choose its own rich display (Deno's kernel uses the same one). */
export const DISPLAY: unique symbol = Symbol.for('Jupyter.display');

/** Something that knows how to display itself, possibly asynchronously. */
export interface Displayable {
  [DISPLAY](): MimeBundle | Promise<MimeBundle>;
}

const HTML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML or XML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ENTITIES[ch]!);
}

/** A finished rendering: displays as its bundle and prints as its text. */
export class RenderedView implements Displayable {
  /** Wraps a bundle; renderers build these. */
  constructor(readonly bundle: MimeBundle) {}

  /** The bundle, for the kernel's display layer. */
  [DISPLAY](): MimeBundle {
    return this.bundle;
  }

  /** The `text/plain` form. */
  toString(): string {
    return this.bundle['text/plain'];
  }
}

/** Pads the cells of a text table so its columns line up, two spaces apart. */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, [...cell].length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell + ' '.repeat(widths[column]! - [...cell].length))).join('  ').trimEnd()).join('\n');
}

/** An HTML table from a header row and body rows of already-escaped cell HTML. */
export function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], caption = ''): string {
  // Translucent grey rules read on light and dark themes alike.
  const cellStyle = 'padding:2px 8px;text-align:left;vertical-align:top;font-family:monospace;white-space:pre;border-bottom:1px solid rgba(128, 128, 128, 0.3)';
  const head = `<tr>${header.map((title) => `<th style="${cellStyle}">${escapeHtml(title)}</th>`).join('')}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td style="${cellStyle}">${cell}</td>`).join('')}</tr>`).join('');
  const captionHtml = caption ? `<caption style="caption-side:top;text-align:left;font-family:monospace">${escapeHtml(caption)}</caption>` : '';
  return `<table style="border-collapse:collapse;font-size:12px">${captionHtml}${head}${body}</table>`;
}
