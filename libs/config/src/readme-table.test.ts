import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_DOCS } from './settings.js';

/** The README's settings table is written from CONFIG_DOCS; this keeps the two from drifting. */
describe('README configuration table', () => {
  it('lists every setting with its variable, default and description, in order', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `HEADWATER_'));
    const expected = CONFIG_DOCS.map((d) => `| \`${d.env}\` | \`${d.default}\` | ${d.description.replaceAll('|', '\\|')} |`);
    expect(rows).toEqual(expected);
  });
});
