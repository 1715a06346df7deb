import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../api/auth/oidc.ts';

describe('safeReturnTo', () => {
  it('keeps same-site paths and drops everything else', () => {
    expect(safeReturnTo('/datasets/x?y=1')).toBe('/datasets/x?y=1');
    for (const bad of [
      '//evil.example',
      'https://evil.example/',
      '/\\evil.example',
      'javascript:alert(1)',
      undefined,
      42,
      ['/a'],
    ]) {
      expect(safeReturnTo(bad)).toBe('/');
    }
  });
});
