import { createFile } from 'mp4box';

/**
 * A small, well-formed (fragmented) MP4 with one video track, written by mp4box: the samples are
 * filler, but the container states the picture size and duration as a real encoder's would.
 */
export function makeMp4({ width, height, durationMs, samples = 5 }: { width: number; height: number; durationMs: number; samples?: number }): Buffer {
  const file = createFile();
  // A minimal AVC decoder configuration (baseline profile, no parameter sets): enough for parsers.
  const avcConfig = new Uint8Array([1, 0x42, 0, 0x1e, 0xff, 0xe0, 0, 0]).buffer;
  const track = file.addTrack({ type: 'avc1', width, height, timescale: 1000, duration: durationMs, media_duration: durationMs, avcDecoderConfigRecord: avcConfig });
  for (let index = 0; index < samples; index += 1) {
    file.addSample(track, new Uint8Array(1000).fill(index), { duration: durationMs / samples, is_sync: index === 0 });
  }
  const stream = file.getBuffer();
  return Buffer.from(stream.buffer, 0, stream.byteLength);
}
