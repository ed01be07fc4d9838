/** Graphviz (dot) layout through @viz-js/viz, loaded on first use so that start-up does not pay for it. */

import type { Viz } from '@viz-js/viz';

let instance: Promise<Viz> | undefined;

function graphviz(): Promise<Viz> {
  instance ??= import('@viz-js/viz').then((module) => module.instance());
  return instance;
}

/** Lays out a DOT graph with dot and returns a standalone `<svg>` element (no XML prolog or DOCTYPE). */
export async function renderDotToSvg(dot: string): Promise<string> {
  const svg = (await graphviz()).renderString(dot, { format: 'svg', engine: 'dot' });
  return svg.slice(svg.indexOf('<svg'));
}

/** Quotes text as a DOT string; newlines become centred line breaks and Graphviz's `\N`-style escapes are disarmed. */
export function dotString(text: string): string {
  const escaped = text
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ');
  return `"${escaped}"`;
}

/** DOT attributes `[key="value", ...]`. */
export function dotAttributes(attributes: Record<string, string>): string {
  const pairs = Object.entries(attributes).map(([key, value]) => `${key}=${dotString(value)}`);
  return pairs.length === 0 ? '' : ` [${pairs.join(', ')}]`;
}
