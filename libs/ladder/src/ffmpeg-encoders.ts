import type { HdrTransfer } from '@headwater/codecs';
import type { EncoderPresets } from './ladder-config.js';
import type { TranscodeRendition } from './ladder-plan.js';

/** ffmpeg's names for the H.273 colour of HDR outputs. */
const HDR_TRC: Record<HdrTransfer, string> = { pq: 'smpte2084', hlg: 'arib-std-b67' };

/** The pixel format a rendition is encoded in. */
export function renditionPixelFormat(r: TranscodeRendition): 'yuv420p' | 'yuv420p10le' {
  return r.bitDepth > 8 ? 'yuv420p10le' : 'yuv420p';
}

/** Colour tags: BT.2020 + the HDR transfer for HDR outputs, BT.709 for tone-mapped ones. */
function colourArgs(r: TranscodeRendition): string[] {
  if (r.hdr !== undefined) return ['-color_primaries', 'bt2020', '-color_trc', HDR_TRC[r.hdr], '-colorspace', 'bt2020nc'];
  if (r.tonemapFrom !== undefined) return ['-color_primaries', 'bt709', '-color_trc', 'bt709', '-colorspace', 'bt709'];
  return [];
}

/** `3` not `3.0`, `3.1` as is: how x264 `-level` and x265 `level-idc` take levels. */
function levelText(level: number): string {
  return String(Math.round(level * 10) / 10);
}

/**
 * Rate control and keyframe cadence shared by every encoder. A keyframe is forced on the first
 * frame of the segment (so each CMAF fragment starts with one and renditions switch there) and
 * then every `gopFrames` frames, with scene-cut keyframes off so the cadence is the same in
 * every rendition.
 */
function commonArgs(r: TranscodeRendition): string[] {
  return [
    '-b:v', String(r.bitrateBps),
    '-maxrate', String(r.maxrateBps),
    '-bufsize', String(r.bufsizeBits),
    '-g', String(r.gopFrames),
    '-keyint_min', String(r.gopFrames),
    '-force_key_frames', 'expr:eq(n,0)',
    '-pix_fmt', renditionPixelFormat(r),
    // Never let the muxing side dup or drop: frames are where the source (or the fps filter) put them.
    '-fps_mode', 'passthrough',
    // The source segments' (Matroska, millisecond) time base. FFmpeg's default for a filter
    // graph output, 1/frame rate, rounds every frame onto a grid from 0 and shifts segments up
    // to a frame off the source key frames (and the passthrough). The encoder still gets the
    // frame rate for rate control.
    '-enc_time_base:v', '1:1000',
  ];
}

/**
 * Encoder arguments of one transcoded rendition (they follow its `-map`).
 * - libx264: High profile at the planned level; closed GOP is x264's default; B-frames stay
 *   on (the CMAF muxing below keeps them exact with an edit list; they save ~10 % bitrate).
 * - libx265: `hvc1` sample entry (parameter sets in the init segment, as Apple requires).
 * - libsvtav1: preset number; SVT-AV1 picks its own seq_level_idx.
 */
export function encoderArgs(r: TranscodeRendition, presets: EncoderPresets, threads: number | undefined): string[] {
  const threadArgs = threads === undefined ? [] : ['-threads', String(threads)];
  switch (r.encoder) {
    case 'h264':
      return [
        '-c:v', 'libx264',
        '-preset', presets.h264,
        '-profile:v', r.profile,
        '-level:v', levelText(r.level),
        '-sc_threshold', '0',
        ...commonArgs(r),
        ...colourArgs(r),
        ...threadArgs,
      ];
    case 'hevc': {
      const params = ['log-level=error', 'scenecut=0', 'open-gop=0', `level-idc=${levelText(r.level)}`];
      if (threads !== undefined) params.push(`pools=${threads}`, 'frame-threads=1');
      return [
        '-c:v', 'libx265',
        '-preset', presets.hevc,
        '-profile:v', r.profile,
        '-tag:v', 'hvc1',
        ...commonArgs(r),
        '-x265-params', params.join(':'),
        ...colourArgs(r),
        ...threadArgs,
      ];
    }
    case 'av1': {
      const params = threads === undefined ? [] : ['-svtav1-params', `lp=${threads}`];
      return ['-c:v', 'libsvtav1', '-preset', String(presets.av1), ...commonArgs(r), ...params, ...colourArgs(r), ...threadArgs];
    }
  }
}

/**
 * HDR → SDR before scaling (zimg): linearise from the source transfer with BT.2020 primaries,
 * convert to BT.709 primaries, Hable tone curve, back to BT.709 transfer, limited range, 8-bit.
 */
export function tonemapFilter(hdr: HdrTransfer): string {
  return [
    `zscale=tin=${HDR_TRC[hdr]}:pin=bt2020:min=bt2020nc:t=linear:npl=100`,
    'format=gbrpf32le',
    'zscale=p=bt709',
    'tonemap=tonemap=hable:desat=0',
    'zscale=t=bt709:m=bt709:r=tv',
    'format=yuv420p',
  ].join(',');
}
