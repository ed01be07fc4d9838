/**
 * ANSI colour codes (SGR) in kernel output, such as coloured tracebacks, turned into HTML spans; every
 * other escape sequence is dropped. Colours are classes (`ansi-red-fg`) the page's stylesheet defines.
 */
import { escapeHtml } from './html-escape.js';

const COLOUR_NAMES = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];
const ESCAPE_SEQUENCE = /\x1b\[([0-9;?]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

interface Style {
  foreground: string | null;
  background: string | null;
  bold: boolean;
  underline: boolean;
}

const PLAIN: Style = { foreground: null, background: null, bold: false, underline: false };

/** The class for a 256-colour index: the 16 named colours get names, the rest inline RGB. */
function extendedColour(index: number): string {
  if (index < 8) return COLOUR_NAMES[index]!;
  if (index < 16) return `intense-${COLOUR_NAMES[index - 8]!}`;
  if (index < 232) {
    const level = (value: number) => (value === 0 ? 0 : 55 + value * 40);
    const offset = index - 16;
    return `rgb(${level(Math.floor(offset / 36))},${level(Math.floor(offset / 6) % 6)},${level(offset % 6)})`;
  }
  const grey = 8 + (index - 232) * 10;
  return `rgb(${grey},${grey},${grey})`;
}

function applyCodes(style: Style, parameters: string): Style {
  const codes = parameters === '' ? [0] : parameters.split(';').map(Number);
  const next = { ...style };
  for (let i = 0; i < codes.length; i += 1) {
    const code = codes[i]!;
    if (code === 0) Object.assign(next, PLAIN);
    else if (code === 1) next.bold = true;
    else if (code === 22) next.bold = false;
    else if (code === 4) next.underline = true;
    else if (code === 24) next.underline = false;
    else if (code >= 30 && code <= 37) next.foreground = COLOUR_NAMES[code - 30]!;
    else if (code >= 90 && code <= 97) next.foreground = `intense-${COLOUR_NAMES[code - 90]!}`;
    else if (code === 39) next.foreground = null;
    else if (code >= 40 && code <= 47) next.background = COLOUR_NAMES[code - 40]!;
    else if (code >= 100 && code <= 107) next.background = `intense-${COLOUR_NAMES[code - 100]!}`;
    else if (code === 49) next.background = null;
    else if ((code === 38 || code === 48) && codes[i + 1] === 5) {
      next[code === 38 ? 'foreground' : 'background'] = extendedColour(codes[i + 2] ?? 0);
      i += 2;
    } else if ((code === 38 || code === 48) && codes[i + 1] === 2) {
      next[code === 38 ? 'foreground' : 'background'] = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
      i += 4;
    }
  }
  return next;
}

function openSpan(style: Style): string {
  const classes: string[] = [];
  const inline: string[] = [];
  const colour = (value: string | null, layer: 'fg' | 'bg') => {
    if (value === null) return;
    if (value.startsWith('rgb(')) inline.push(`${layer === 'fg' ? 'color' : 'background-color'}:${value}`);
    else classes.push(`ansi-${value}-${layer}`);
  };
  colour(style.foreground, 'fg');
  colour(style.background, 'bg');
  if (style.bold) classes.push('ansi-bold');
  if (style.underline) classes.push('ansi-underline');
  if (classes.length === 0 && inline.length === 0) return '';
  const classAttribute = classes.length > 0 ? ` class="${classes.join(' ')}"` : '';
  const styleAttribute = inline.length > 0 ? ` style="${inline.join(';')}"` : '';
  return `<span${classAttribute}${styleAttribute}>`;
}

/** Removes every ANSI escape sequence (kernel tracebacks carry colours). */
export function stripAnsi(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '');
}

/** Escaped HTML of text carrying ANSI escapes, with SGR colours as spans. */
export function ansiToHtml(text: string): string {
  let html = '';
  let style = PLAIN;
  let open = false;
  let last = 0;
  for (const match of text.matchAll(ESCAPE_SEQUENCE)) {
    html += escapeHtml(text.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] !== 'm') continue;
    style = applyCodes(style, match[1] ?? '');
    if (open) html += '</span>';
    const span = openSpan(style);
    html += span;
    open = span !== '';
  }
  html += escapeHtml(text.slice(last));
  if (open) html += '</span>';
  return html;
}
