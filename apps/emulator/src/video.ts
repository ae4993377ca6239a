import { createReadStream } from 'node:fs';
import { createFile, MP4BoxBuffer } from 'mp4box';
import type { Movie } from 'mp4box';
import type { ReceivedFile } from './files.js';

/** What a video's container says about its picture and length. */
export interface VideoTiming {
  readonly width: number | undefined;
  readonly height: number | undefined;
  /** Seconds. */
  readonly duration: number;
}

/** ISO BMFF brands (MP4, MOV, M4A…): the containers mp4box reads. */
const ISO_BMFF = /^....(ftyp|moov|mdat|wide|free)/s;

/**
 * Reads the movie header of an MP4/MOV with mp4box (GPAC's parser), streaming the file so the
 * header may sit at the end; media data is not kept. Undefined for other containers (WebM, MP3…)
 * and for files whose header cannot be read — Cloudinary would still store those, without the
 * numbers.
 */
export async function videoTiming(file: ReceivedFile): Promise<VideoTiming | undefined> {
  if (!ISO_BMFF.test(file.head.toString('latin1', 0, 8))) return undefined;
  const parser = createFile(false);
  let movie: Movie | undefined;
  parser.onReady = (info) => {
    movie = info;
  };
  // Errors come here instead of mp4box's console output: a broken container just has no numbers.
  let broken = false;
  parser.onError = () => {
    broken = true;
  };
  let position = 0;
  try {
    for await (const piece of createReadStream(file.path)) {
      const bytes = piece as Buffer;
      const buffer = MP4BoxBuffer.fromArrayBuffer(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), position);
      position += bytes.length;
      parser.appendBuffer(buffer);
      if (movie !== undefined || broken) break;
    }
    parser.flush();
  } catch {
    return undefined;
  }
  if (movie === undefined || movie.timescale <= 0) return undefined;
  const track = movie.videoTracks[0];
  return {
    width: track?.video?.width ?? track?.track_width,
    height: track?.video?.height ?? track?.track_height,
    duration: Math.round((movie.duration / movie.timescale) * 1000) / 1000,
  };
}
