/**
 * Renders a plot to PNG with a real SVG renderer (resvg, a devDependency), so a chart
 * that only our own parser accepts cannot slip through. Skips only when the renderer's
 * native package is genuinely absent (an unsupported platform).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { plotRoundsOf, roundPlots } from '../../src/report/svg-plots.js';
import { makeRun } from '../cli/helpers.js';

type ResvgModule = { Resvg: new (svg: string, options?: object) => { width: number; height: number; render(): { asPng(): Buffer } } };

let resvg: ResvgModule | null = null;
let absent = '';
try {
  resvg = (await import('@resvg/resvg-js' as string)) as ResvgModule;
} catch (error) {
  absent = `@resvg/resvg-js is not installed for this platform (${(error as Error).message})`;
}

describe('rendering plots with resvg', () => {
  it('every per-workload plot renders to an 800x420 PNG with ink on it', { skip: resvg === null ? absent : false }, () => {
    const plots = roundPlots(plotRoundsOf([makeRun('none'), makeRun('free-page-hint', { skippedPages: 500 })]));
    for (const plot of plots) {
      const image = new resvg!.Resvg(plot.svg, { font: { loadSystemFonts: false } });
      assert.equal(image.width, 800);
      assert.equal(image.height, 420);
      const png = image.render().asPng();
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${plot.name} is a PNG`);
      assert.ok(png.length > 2000, `${plot.name}: ${png.length} bytes, more than a blank page`);
    }
  });
});
