/**
 * Text from outside (workload names, file paths) printed on a terminal: C0 and C1 control
 * characters and DEL are escaped (`\x1b`, `\n`, `\t`, …) so a crafted name cannot move the
 * cursor, retitle the window or hide a line. Pure.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Results whose workload and run names are safe to print (a copy; only the summaries
 * are replaced). For terminal tables only: the CSV and JSON keep the names as they are.
 */
export function terminalSafeResults<T extends { summary: { workload: string; run: string } }>(results: readonly T[]): T[] {
  return results.map((result) => ({ ...result, summary: { ...result.summary, workload: escapeControlChars(result.summary.workload), run: escapeControlChars(result.summary.run) } }));
}

/** Rows (verdict rows) with their workload and run names escaped for printing. */
export function terminalSafeRows<T extends { workload: string; run: string }>(rows: readonly T[]): T[] {
  return rows.map((row) => ({ ...row, workload: escapeControlChars(row.workload), run: escapeControlChars(row.run) }));
}

/** `text` with every control character written as `\n`, `\r`, `\t` or `\xHH`. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL, (ch) => NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
