/** Small self-contained SVG line charts (loss curves): white plot area, dark ink, no scripts, fonts or styles. */

import { escapeHtml } from './mime.js';

/** One named line: x and y values of equal length. */
export interface ChartSeries {
  name: string;
  xs: readonly number[];
  ys: readonly number[];
}

/** Size and labels of a chart. */
export interface ChartOptions {
  width?: number;
  height?: number;
  xLabel?: string;
  /** Plot y on a log scale (when every value is positive), as loss curves often read best. */
  logY?: boolean;
}

const SERIES_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const MAX_POINTS_PER_SERIES = 600;
const MARGIN = { left: 58, right: 12, top: 12, bottom: 34 };
const INK = '#222222';
const GRID = '#e3e3e3';

/** Round tick values covering [low, high], about `count` of them (the 1-2-5 rule). */
export function niceTicks(low: number, high: number, count = 5): number[] {
  if (!(high > low)) return [low];
  const rawStep = (high - low) / Math.max(count, 1);
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const step = [1, 2, 5, 10].map((factor) => factor * magnitude).find((candidate) => candidate >= rawStep)!;
  const ticks: number[] = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) {
    ticks.push(Number(tick.toPrecision(12)));
  }
  return ticks;
}

/** Short text for a tick value. */
export function tickText(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e5 || magnitude < 1e-3) return value.toExponential(1).replace('e+', 'e');
  return String(Number(value.toPrecision(4)));
}

/**
 * Keeps at most `limit` points, keeping each bucket's lowest and highest y so that spikes survive;
 * long training runs stay small in the notebook.
 */
export function decimate(xs: readonly number[], ys: readonly number[], limit = MAX_POINTS_PER_SERIES): [number[], number[]] {
  if (xs.length <= limit) return [[...xs], [...ys]];
  const buckets = Math.floor(limit / 2);
  const keptXs: number[] = [];
  const keptYs: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * xs.length) / buckets);
    const end = Math.floor(((bucket + 1) * xs.length) / buckets);
    let low = start;
    let high = start;
    for (let index = start; index < end; index++) {
      if (ys[index]! < ys[low]!) low = index;
      if (ys[index]! > ys[high]!) high = index;
    }
    for (const index of low <= high ? [low, high] : [high, low]) {
      if (keptXs.length > 0 && keptXs[keptXs.length - 1] === xs[index]) continue;
      keptXs.push(xs[index]!);
      keptYs.push(ys[index]!);
    }
  }
  return [keptXs, keptYs];
}

/** Draws the series as an SVG line chart with axes, ticks and (for several series) a legend. */
export function lineChartSvg(series: readonly ChartSeries[], chartOptions: ChartOptions = {}): string {
  const width = chartOptions.width ?? 480;
  const height = chartOptions.height ?? 220;
  const finite = series.map((line) => {
    const pairs = line.xs.map((x, index) => [x, line.ys[index]!] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    return { name: line.name, xs: pairs.map(([x]) => x), ys: pairs.map(([, y]) => y) };
  });
  const allXs = finite.flatMap((line) => line.xs);
  const allYs = finite.flatMap((line) => line.ys);
  const logY = chartOptions.logY === true && allYs.length > 0 && allYs.every((y) => y > 0);
  const scaleY = (y: number): number => (logY ? Math.log10(y) : y);

  const plot = { x: MARGIN.left, y: MARGIN.top, width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (allXs.length === 0) {
    parts.push(`<text x="${width / 2}" y="${height / 2}" text-anchor="middle" fill="${INK}">no data yet</text>`, '</svg>');
    return parts.join('\n');
  }

  const [xLow, xHigh] = paddedRange(Math.min(...allXs), Math.max(...allXs));
  const [yLow, yHigh] = paddedRange(Math.min(...allYs.map(scaleY)), Math.max(...allYs.map(scaleY)));
  const px = (x: number): number => plot.x + ((x - xLow) / (xHigh - xLow)) * plot.width;
  const py = (y: number): number => plot.y + plot.height - ((scaleY(y) - yLow) / (yHigh - yLow)) * plot.height;
  const round = (value: number): string => String(Math.round(value * 10) / 10);

  const yTicks = logY ? logTicks(yLow, yHigh) : niceTicks(yLow, yHigh);
  for (const tick of yTicks) {
    const y = round(py(tick));
    parts.push(`<line x1="${plot.x}" y1="${y}" x2="${plot.x + plot.width}" y2="${y}" stroke="${GRID}"/>`);
    parts.push(`<text x="${plot.x - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="${INK}">${escapeHtml(tickText(tick))}</text>`);
  }
  for (const tick of niceTicks(xLow, xHigh)) {
    const x = round(px(tick));
    parts.push(`<line x1="${x}" y1="${plot.y + plot.height}" x2="${x}" y2="${plot.y + plot.height + 4}" stroke="${INK}"/>`);
    parts.push(`<text x="${x}" y="${plot.y + plot.height + 16}" text-anchor="middle" fill="${INK}">${escapeHtml(tickText(tick))}</text>`);
  }
  parts.push(`<rect x="${plot.x}" y="${plot.y}" width="${plot.width}" height="${plot.height}" fill="none" stroke="${INK}"/>`);
  if (chartOptions.xLabel) {
    parts.push(`<text x="${plot.x + plot.width / 2}" y="${height - 4}" text-anchor="middle" fill="${INK}">${escapeHtml(chartOptions.xLabel)}</text>`);
  }

  finite.forEach((line, index) => {
    const color = SERIES_COLORS[index % SERIES_COLORS.length]!;
    const [xs, ys] = decimate(line.xs, line.ys);
    const points = xs.map((x, point) => `${round(px(x))},${round(py(ys[point]!))}`).join(' ');
    if (xs.length === 1) parts.push(`<circle cx="${round(px(xs[0]!))}" cy="${round(py(ys[0]!))}" r="2.5" fill="${color}"/>`);
    else parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.6" stroke-linejoin="round"/>`);
    if (finite.length > 1) {
      const legendY = plot.y + 12 + index * 14;
      parts.push(`<line x1="${plot.x + plot.width - 90}" y1="${legendY}" x2="${plot.x + plot.width - 74}" y2="${legendY}" stroke="${color}" stroke-width="2"/>`);
      parts.push(`<text x="${plot.x + plot.width - 70}" y="${legendY}" dy="0.32em" fill="${INK}">${escapeHtml(line.name)}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function paddedRange(low: number, high: number): [number, number] {
  if (high > low) return [low, high];
  const pad = low === 0 ? 1 : Math.abs(low) * 0.1;
  return [low - pad, high + pad];
}

/** Ticks for a log10 axis given in exponents: one per power of ten, or the nice ticks when the span is small. */
function logTicks(lowExponent: number, highExponent: number): number[] {
  const powers: number[] = [];
  for (let exponent = Math.ceil(lowExponent); exponent <= Math.floor(highExponent); exponent++) powers.push(10 ** exponent);
  if (powers.length >= 2) return powers;
  return niceTicks(10 ** lowExponent, 10 ** highExponent).filter((tick) => tick > 0);
}
