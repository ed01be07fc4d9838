/** Plain-text tables for the terminal. */

/** A table with a header row, columns padded to their widest cell; the first column left-aligned, others right. */
export function formatTable(header, rows) {
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => String(row[column] ?? "").length)));
  const line = (row) => row.map((cell, column) => (column === 0 ? String(cell ?? "").padEnd(widths[column]) : String(cell ?? "").padStart(widths[column]))).join("  ");
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

/** A number with three significant digits (no exponent below 1e6). */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  return value.toPrecision(3);
}
