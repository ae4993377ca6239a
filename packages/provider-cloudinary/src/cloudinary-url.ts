/** The parts of a `cloudinary://KEY:SECRET@CLOUD[?upload_prefix=URL]` connection string. */
export interface CloudinaryCredentials {
  cloudName: string;
  apiKey: string;
  apiSecret: string;
  /** API base URL, e.g. `http://127.0.0.1:9400` for the emulator; default Cloudinary's own. */
  uploadPrefix: string | undefined;
}

/** Parses a CLOUDINARY_URL. Throws with a message that never contains the secret. */
export function parseCloudinaryUrl(value: string): CloudinaryCredentials {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('CLOUDINARY_URL is not a valid URL; expected cloudinary://KEY:SECRET@CLOUD');
  }
  if (url.protocol !== 'cloudinary:') throw new Error('CLOUDINARY_URL must start with cloudinary://');
  const apiKey = decodeURIComponent(url.username);
  const apiSecret = decodeURIComponent(url.password);
  const cloudName = url.hostname;
  if (!apiKey || !apiSecret || !cloudName) {
    throw new Error('CLOUDINARY_URL must name a key, a secret and a cloud: cloudinary://KEY:SECRET@CLOUD');
  }
  const uploadPrefix = url.searchParams.get('upload_prefix') ?? undefined;
  if (uploadPrefix !== undefined && !/^https?:\/\/[^/]+/.test(uploadPrefix)) {
    throw new Error('CLOUDINARY_URL upload_prefix must be an http(s) URL');
  }
  return { cloudName, apiKey, apiSecret, uploadPrefix: uploadPrefix?.replace(/\/+$/, '') };
}
