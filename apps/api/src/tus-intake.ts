import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TempStorageUnavailableError, type ReceivedBytes, type TempStorage } from '@hoist/core';
import { ActiveSvgError, IntakeError, UploadInspector } from '@hoist/intake';
import type { IntakeRules } from './multipart-intake.js';

/**
 * Inspects a finished tus upload's bytes as a multipart file is inspected (size limit, sha256,
 * sniffed type against the allow-list, active SVG) while copying them into temp storage, where
 * workers read them. A refusal is the verdict (`ok: false` with a reason a client can read), not an
 * error; anything else (the tus file unreadable, temp storage failing) throws.
 */
export async function inspectReceived(source: Readable, storage: TempStorage, intake: IntakeRules): Promise<ReceivedBytes> {
  const inspector = new UploadInspector(intake.maxBytes, intake.allowed, intake.policy);
  // The write removes its partial object when its source (the inspector) errors; a write that fails
  // by itself stops the inspector too, or the pipeline would wait forever for it to be read.
  const writing = storage.write(inspector).catch((error: unknown) => {
    inspector.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  });
  const [piped, written] = await Promise.allSettled([pipeline(source, inspector), writing]);
  // Temp storage down is the answer (a 503, try again), not the premature close it caused upstream.
  if (written.status === 'rejected' && written.reason instanceof TempStorageUnavailableError) throw written.reason;
  if (piped.status === 'rejected') {
    const error: unknown = piped.reason;
    if (error instanceof ActiveSvgError) return { ok: false, reason: `Active SVG refused: ${error.message}` };
    if (error instanceof IntakeError) return { ok: false, reason: error.reason === 'too-large' ? error.message : `${error.message} Accepted: images, video (mp4, webm, mov) and PDF.` };
    throw error;
  }
  if (written.status === 'rejected') throw written.reason;
  const { key } = written.value;
  const measured = inspector.result();
  if (measured.bytes === 0 || !measured.contentType) {
    await storage.delete(key);
    return { ok: false, reason: 'The file is empty.' };
  }
  return { ok: true, stored: { storageKey: key, bytes: measured.bytes, sha256: measured.sha256, contentType: measured.contentType } };
}
