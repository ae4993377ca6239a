import type { EmulatorContext } from './context.js';
import { HttpError } from './errors.js';
import { authenticate } from './signature.js';
import type { Params } from './signature.js';

/**
 * What an unsigned upload may set beside its preset: the implemented part of Cloudinary's
 * unsigned allow-list. Everything else must come from the preset (or a signed request).
 */
export const UNSIGNED_PARAMS = ['upload_preset', 'public_id', 'folder', 'asset_folder', 'display_name', 'tags', 'context', 'filename_override'] as const;

/** Sent by clients along with an unsigned upload without being an upload option. */
const UNSIGNED_TRANSPORT = new Set(['file', 'api_key', 'timestamp', 'cloud_name', 'resource_type']);

function present(params: Params, key: string): string | undefined {
  const value = params[key];
  const text = typeof value === 'string' ? value : value?.join(',');
  return text === undefined || text === '' ? undefined : text;
}

/** `return_delete_token` → `Return delete token`, as Cloudinary names parameters in messages. */
function spoken(key: string): string {
  const words = key.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Admits an upload request as Cloudinary does: a request with a signature is checked as a signed
 * request; one without must name an unsigned upload preset (EMULATOR_UNSIGNED_PRESETS) and may set
 * only the unsigned parameters. A signed request may name a preset too, but only one that exists.
 * @returns whether the request was unsigned.
 * @throws {HttpError} with Cloudinary's status and message.
 */
export function authorizeUpload(context: EmulatorContext, params: Params): { unsigned: boolean } {
  const preset = present(params, 'upload_preset');
  if (preset !== undefined && !context.unsignedPresets.has(preset)) throw new HttpError(400, 'Upload preset not found');
  if (present(params, 'signature') === undefined) {
    if (preset === undefined) throw new HttpError(400, 'Upload preset must be specified when using unsigned upload');
    const allowed = new Set<string>(UNSIGNED_PARAMS);
    const refused = Object.keys(params).find((key) => present(params, key) !== undefined && !allowed.has(key) && !UNSIGNED_TRANSPORT.has(key));
    if (refused !== undefined) {
      throw new HttpError(
        400,
        `${spoken(refused)} parameter is not allowed when using unsigned upload. Only ${UNSIGNED_PARAMS.join(',')} upload parameters are allowed.`,
      );
    }
    return { unsigned: true };
  }
  requireSignature(context, params);
  return { unsigned: false };
}

/** Checks a signed request against the emulator's credentials and signature algorithm. */
export function requireSignature(context: EmulatorContext, params: Params): void {
  const auth = authenticate(params, context);
  if (!auth.ok) throw new HttpError(auth.status, auth.message);
}
