import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { colorLevel, createPalette, PLAIN } from '../../src/report/colors.js';

const tty = { color: true, env: {}, stdoutIsTTY: true, chalkLevel: 3 as const };

describe('colour policy', () => {
  it('keeps chalk’s level on a terminal', () => {
    assert.equal(colorLevel(tty), 3);
  });

  it('turns colour off for --no-color, a non-empty NO_COLOR, or a stdout that is not a terminal', () => {
    assert.equal(colorLevel({ ...tty, color: false }), 0);
    assert.equal(colorLevel({ ...tty, env: { NO_COLOR: '1' } }), 0);
    assert.equal(colorLevel({ ...tty, stdoutIsTTY: false }), 0);
  });

  it('ignores an empty NO_COLOR, as no-color.org says', () => {
    assert.equal(colorLevel({ ...tty, env: { NO_COLOR: '' } }), 3);
  });

  it('leaves FORCE_COLOR to chalk, even into a pipe, but --no-color and NO_COLOR still win', () => {
    assert.equal(colorLevel({ ...tty, stdoutIsTTY: false, env: { FORCE_COLOR: '1' }, chalkLevel: 1 }), 1);
    assert.equal(colorLevel({ ...tty, stdoutIsTTY: false, env: { FORCE_COLOR: '0' }, chalkLevel: 0 }), 0);
    assert.equal(colorLevel({ ...tty, color: false, env: { FORCE_COLOR: '1' } }), 0);
    assert.equal(colorLevel({ ...tty, env: { FORCE_COLOR: '1', NO_COLOR: '1' } }), 0);
  });

  it('a level-0 palette returns its input unchanged', () => {
    assert.equal(PLAIN.bad('x'), 'x');
    assert.equal(createPalette(1).bad('x'), '\u001b[31mx\u001b[39m');
  });
});
