/**
 * A synthetic live session for segmenter tests: VP8 video (optionally with B-frame style
 * reordering via composition times) and AAC audio, interleaved in send order like an encoder.
 */
import type { SegmenterTag } from '../source-segmenter.js';
import { AAC_LC_48K_STEREO, aacFrame, audioTag, videoTag, vp8Frame } from './media-builders.js';

export interface SessionSpec {
  durationMs: number;
  /** Video frames per second; 0 = no video. @defaultValue 30 */
  fps?: number;
  /** Frames per GOP (closed). @defaultValue 30 */
  gopFrames?: number;
  /** Reorder frames as I P B B P B B … (pts = dts + composition time). @defaultValue false */
  bFrames?: boolean;
  /**
   * Open GOPs: every key frame but the first is followed in decode order by two leading
   * pictures presented before it (like HEVC CRA + RASL). Needs gopFrames >= 3; ignores bFrames.
   */
  openGop?: boolean;
  /** Audio frame duration in ms; 0 = no audio. @defaultValue 20 */
  audioFrameMs?: number;
  /** Audio tags are sent this much later than their timestamp (encoder interleaving). @defaultValue 0 */
  audioLagMs?: number;
  /** Bytes of each video frame payload. @defaultValue 200 */
  videoFrameBytes?: number;
  /**
   * Send H.264 (this avcC, stand-in NALUs) instead of VP8: needed for composition times, which
   * only the NALU codecs carry.
   */
  avcC?: Uint8Array;
}

export interface SentFrame {
  kind: 'video' | 'audio';
  dtsMs: number;
  ptsMs: number;
  keyframe: boolean;
}

/** The tags (configs first, then frames in send order) and the frames they carry. */
export function syntheticSession(spec: SessionSpec): { tags: SegmenterTag[]; frames: SentFrame[] } {
  const fps = spec.fps ?? 30;
  const gop = spec.gopFrames ?? 30;
  const audioMs = spec.audioFrameMs ?? 20;
  const lag = spec.audioLagMs ?? 0;
  const items: { sendMs: number; order: number; tag: SegmenterTag; frame: SentFrame }[] = [];
  if (fps > 0) {
    const frameMs = 1000 / fps;
    const count = Math.floor(spec.durationMs / frameMs);
    let decodeIndex = 0;
    for (let gopStart = 0; gopStart < count; gopStart += gop) {
      const size = Math.min(gop, count - gopStart);
      const display = spec.openGop ? openGopOrder(gopStart, gop, count) : decodeOrder(size, spec.bFrames ?? false).map((p) => gopStart + p);
      display.forEach((p, k) => {
        const dtsMs = Math.round(decodeIndex++ * frameMs);
        // One frame of delay keeps every composition time >= 0 when reordering.
        const ptsMs = spec.bFrames || spec.openGop ? Math.round((p + 1) * frameMs) : dtsMs;
        const keyframe = k === 0;
        const bytes = spec.videoFrameBytes ?? 200;
        const codec = spec.avcC ? 'avc1' : 'vp08';
        const data = spec.avcC ? nalu(keyframe, bytes) : vp8Frame(keyframe, 640, 360, bytes);
        const tag = videoTag(dtsMs, keyframe ? 'key' : 'inter', { codec, packetType: 'coded-frames', data, compositionTimeMs: ptsMs - dtsMs });
        items.push({ sendMs: dtsMs, order: 0, tag, frame: { kind: 'video', dtsMs, ptsMs, keyframe } });
      });
    }
  }
  if (audioMs > 0) {
    for (let t = 0; t < spec.durationMs; t += audioMs) {
      const tag = audioTag(t, { codec: 'mp4a', packetType: 'coded-frames', data: aacFrame() });
      items.push({ sendMs: t + lag, order: 1, tag, frame: { kind: 'audio', dtsMs: t, ptsMs: t, keyframe: true } });
    }
  }
  items.sort((a, b) => a.sendMs - b.sendMs || a.order - b.order);
  const tags: SegmenterTag[] = [];
  if (fps > 0) {
    tags.push(videoTag(0, 'key', spec.avcC ? { codec: 'avc1', packetType: 'sequence-start', data: spec.avcC } : { codec: 'vp08', packetType: 'sequence-start', data: new Uint8Array(0) }));
  }
  if (audioMs > 0) tags.push(audioTag(0, { codec: 'mp4a', packetType: 'sequence-start', data: AAC_LC_48K_STEREO }));
  return { tags: [...tags, ...items.map((i) => i.tag)], frames: items.map((i) => i.frame) };
}

/**
 * Display indexes, in decode order, of the frames decoded in the GOP starting at `start`: its key
 * frame, then the two leading pictures of the previous GOP's end (not for the first GOP), then
 * its own frames but the last two, which lead the next GOP (all of them in the last GOP).
 */
function openGopOrder(start: number, gop: number, count: number): number[] {
  const out = [start];
  if (start > 0) out.push(start - 2, start - 1);
  const end = start + gop < count ? start + gop - 2 : count;
  for (let p = start + 1; p < end; p++) out.push(p);
  return out;
}

/** Display index of each frame of a closed GOP in decode order: 0, then (P j+2, B j, B j+1)…, then the rest. */
function decodeOrder(size: number, bFrames: boolean): number[] {
  if (!bFrames) return [...Array(size).keys()];
  const out = [0];
  let j = 1;
  for (; j + 2 < size; j += 3) out.push(j + 2, j, j + 1);
  for (; j < size; j++) out.push(j);
  return out;
}

/** One length-prefixed stand-in NALU (IDR or non-IDR slice type byte, then filler). */
function nalu(keyframe: boolean, bytes: number): Uint8Array {
  const out = new Uint8Array(4 + bytes).fill(0x3c, 5);
  new DataView(out.buffer).setUint32(0, bytes);
  out[4] = keyframe ? 0x65 : 0x41;
  return out;
}
