/**
 * The one colour policy (STYLE.md §6.5). Colour is off when `--no-color` is given,
 * when NO_COLOR is set to a non-empty value (no-color.org; chalk does not read it), or
 * when stdout is not a terminal. FORCE_COLOR is chalk's business: when it is set we
 * keep chalk's own level, so `FORCE_COLOR=1 migsim run … | less -R` still works.
 * Only tables are coloured; JSON, CSV and stderr never are.
 */
import chalk, { Chalk, type ChalkInstance } from 'chalk';

export type ColorLevel = 0 | 1 | 2 | 3;

export interface ColorPolicyInput {
  /** false when `--no-color` was given. */
  color: boolean;
  env: NodeJS.ProcessEnv;
  stdoutIsTTY: boolean;
  /** chalk's own level (from supports-color: TERM, FORCE_COLOR, CI, …). */
  chalkLevel: ColorLevel;
}

/** The chalk level to use for stdout tables. Pure. */
export function colorLevel(input: ColorPolicyInput): ColorLevel {
  if (!input.color) return 0;
  if (input.env.NO_COLOR !== undefined && input.env.NO_COLOR !== '') return 0;
  if (input.env.FORCE_COLOR !== undefined) return input.chalkLevel;
  if (!input.stdoutIsTTY) return 0;
  return input.chalkLevel;
}

/** The few styles the tables use. With level 0 every function returns its input. */
export interface Palette {
  good(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

export function createPalette(level: ColorLevel): Palette {
  const instance: ChalkInstance = new Chalk({ level });
  return {
    good: (text) => instance.green(text),
    bad: (text) => instance.red(text),
    dim: (text) => instance.dim(text),
    bold: (text) => instance.bold(text),
  };
}

/** A palette that never colours: for tests and for output that must stay plain. */
export const PLAIN: Palette = createPalette(0);

/** The palette for this process's stdout, following the policy above. */
export function stdoutPalette(options: { color: boolean }): Palette {
  return createPalette(
    colorLevel({
      color: options.color,
      env: process.env,
      stdoutIsTTY: process.stdout.isTTY === true,
      chalkLevel: chalk.level,
    }),
  );
}
