import { describe, expect, it } from 'vitest';
import { searchHref } from '../../web/src/lib/search.ts';

describe('catalog search form URL', () => {
  it('keeps only the fields filled in, trimmed', () => {
    expect(
      searchHref([
        ['q', ' river '],
        ['tier', ''],
        ['purpose', 'research'],
        ['language', '  '],
        ['community', ''],
        ['label', 'TK Attribution'],
      ]),
    ).toBe('/?q=river&purpose=research&label=TK+Attribution');
    expect(
      searchHref([
        ['q', ''],
        ['tier', ''],
      ]),
    ).toBe('/');
    expect(searchHref([['q', 'a&b=c']])).toBe('/?q=a%26b%3Dc');
  });
});
