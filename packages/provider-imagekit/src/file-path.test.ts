import { PermanentProviderError } from '@hoist/core';
import { describe, expect, it } from 'vitest';
import { imageKitTarget } from './file-path.js';

describe('imageKitTarget', () => {
  it('puts the last segment in the folders before it', () => {
    expect(imageKitTarget('t1/avatars/me')).toEqual({ folder: '/t1/avatars', fileName: 'me', filePath: '/t1/avatars/me' });
    expect(imageKitTarget('t1/photo.v2_final-1.jpg')).toEqual({ folder: '/t1', fileName: 'photo.v2_final-1.jpg', filePath: '/t1/photo.v2_final-1.jpg' });
    expect(imageKitTarget('solo')).toEqual({ folder: '/', fileName: 'solo', filePath: '/solo' });
  });

  it.each(['t1/v1.2/me', 't1/a b', 't1//me', 't1/', 't1/..', 't1/a+b'])('refuses %j, which ImageKit would store elsewhere', (publicId) => {
    expect(() => imageKitTarget(publicId)).toThrow(PermanentProviderError);
  });
});
