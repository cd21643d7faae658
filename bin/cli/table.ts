import { displayWidth, padEndToWidth } from './display-width';

/**
 * Plain-text tables for the read commands: a header row, columns padded to their widest cell, the
 * last column left ragged. Widths are terminal columns ({@link displayWidth}), not UTF-16 code
 * units, so a Japanese name (two columns a character) keeps the columns after it in line.
 */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) => Math.max(displayWidth(title), ...rows.map((row) => displayWidth(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : padEndToWidth(cell, widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** A cell for an optional value. */
export function cell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length ? value.join(',') : '-';
  return String(value).replace(/\s*\n\s*/g, ' ');
}
