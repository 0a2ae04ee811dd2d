import fc from 'fast-check';
import { expect, test } from 'vitest';
import { firstPublish } from './first-publish.js';

test.each([
  [0, 0, false],
  [0, 1, true],
  [0, 7, true],
  [1, 1, false],
  [1, 2, false],
  [3, 9, false],
])('firstPublish(%i, %i) = %s', (before, after, expected) => {
  expect(firstPublish(before, after)).toBe(expected);
});

test('over any growth of the published prefix, exactly one update crosses (once it reaches 1)', () => {
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 3 }), { maxLength: 30 }), (steps) => {
      let prefix = 0;
      let crossings = 0;
      for (const step of steps) {
        if (firstPublish(prefix, prefix + step)) crossings++;
        prefix += step;
      }
      expect(crossings).toBe(prefix >= 1 ? 1 : 0);
    }),
  );
});
