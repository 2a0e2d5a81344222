/**
 * Text from outside (workload names, file paths) printed on a terminal: C0 and C1 control
 * characters and DEL are escaped (`\x1b`, `\n`, `\t`, …) so a crafted name cannot move the
 * cursor, retitle the window or hide a line. Pure.
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as `\n`, `\r`, `\t` or `\xHH`. */
export function escapeControlChars(text: string): string {
  return text.replace(CONTROL, (ch) => NAMED[ch] ?? `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
