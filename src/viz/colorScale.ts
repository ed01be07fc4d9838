/**
 * A diverging blue–white–red scale drawn as translucent backgrounds: 0 is transparent, so the cell keeps the
 * theme's own background and text colour, and the tint stays legible on light and dark themes alike.
 */

const NEGATIVE_RGB = '59, 76, 192';
const POSITIVE_RGB = '180, 4, 38';
const STRONGEST_ALPHA = 0.55;

/** The largest absolute finite value, which maps to the strongest tint. */
export function colorScaleExtent(values: Iterable<number>): number {
  let extent = 0;
  for (const value of values) {
    if (Number.isFinite(value)) extent = Math.max(extent, Math.abs(value));
  }
  return extent;
}

/** The CSS background for a value, or '' when it gets no tint (0, NaN, or an all-zero tensor). */
export function cellBackground(value: number, extent: number): string {
  if (Number.isNaN(value) || value === 0 || extent === 0) return '';
  const strength = Number.isFinite(value) ? Math.min(Math.abs(value) / extent, 1) : 1;
  const alpha = Math.round(strength * STRONGEST_ALPHA * 1000) / 1000;
  return `rgba(${value < 0 ? NEGATIVE_RGB : POSITIVE_RGB}, ${alpha})`;
}
