/** Choosing which representation of a rich output an exporter shows, as nbconvert's display priority does. */
import type { NotebookMimeBundle } from '../nbformat.js';

/** The first MIME type of `priority` the bundle holds. */
export function pickMimeType(bundle: NotebookMimeBundle, priority: readonly string[]): string | undefined {
  return priority.find((mimeType) => bundle[mimeType] !== undefined);
}

/** A bundle entry as text: strings as they are, JSON values pretty-printed. */
export function mimeText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** SVG ready to inline in a page: without the XML declaration and the DOCTYPE (which names an external DTD). */
export function inlineSvg(svg: string): string {
  return svg
    .replace(/^\s*<\?xml[^>]*\?>\s*/, '')
    .replace(/<!DOCTYPE[^>[]*(\[[^\]]*\])?\s*>\s*/i, '')
    .trim();
}

/** File extensions for the binary and SVG outputs the Markdown exporter writes beside the document. */
export const IMAGE_EXTENSIONS: Record<string, string> = {
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
};
