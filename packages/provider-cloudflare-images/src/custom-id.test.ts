import { describe, expect, it } from 'vitest';
import { CLOUDFLARE_MAX_CUSTOM_ID_LENGTH, customIdProblem } from './custom-id.js';

describe('customIdProblem', () => {
  it('accepts what Hoist makes: tenant/folder/name, any UTF-8, up to 1,024 characters', () => {
    expect(customIdProblem('tenant-1/photos/cat.png')).toBeUndefined();
    expect(customIdProblem('t/ünïcødé name')).toBeUndefined();
    expect(customIdProblem(`t/${'a'.repeat(CLOUDFLARE_MAX_CUSTOM_ID_LENGTH - 2)}`)).toBeUndefined();
    expect(customIdProblem('t/0c1d9d5e-6f8a-4b3c-9d2e-1f0a9b8c7d6e')).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(CLOUDFLARE_MAX_CUSTOM_ID_LENGTH + 1), /at most 1024/],
    ['/t/a', /start or end/],
    ['t/a/', /start or end/],
    ['0C1D9D5E-6F8A-4B3C-9D2E-1F0A9B8C7D6E', /UUID/],
    ['t//a', /empty, "\." or "\.\."/],
    ['t/../a', /empty, "\." or "\.\."/],
    ['t/\uD800', /UTF-8/],
  ])('refuses %j', (id, problem) => {
    expect(customIdProblem(id)).toMatch(problem);
  });
});
