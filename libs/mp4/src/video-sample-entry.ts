import { ByteReader } from '@headwater/bytes';
import { describeVideoConfig } from '@headwater/codecs';
import type { VideoCodec } from '@headwater/codecs';
import type { BoxBudget, Mp4Box } from './box-reader.js';
import { readBoxes, requireBox } from './box-reader.js';

/** Video sample entries we describe (ISO/IEC 14496-15 §5.4, §8.4; AV1-ISOBMFF §2.2; VP-ISOBMFF §2.1). */
export const VIDEO_SAMPLE_ENTRIES = ['avc1', 'avc3', 'hvc1', 'hev1', 'av01', 'vp09'] as const;
export type VideoSampleEntry = (typeof VIDEO_SAMPLE_ENTRIES)[number];

/** What a video sample entry tells. */
export interface VideoEntryInfo {
  codecString: string;
  /** VisualSampleEntry width: the coded picture width in pixels. */
  width: number;
  /** VisualSampleEntry height in pixels. */
  height: number;
  /** Frames per second, when the bitstream's timing information signals it (SPS VUI, AV1 timing_info). */
  frameRate?: number;
  bitDepth?: number;
}

/** SampleEntry (8 bytes) + VisualSampleEntry fields (70 bytes) before the child boxes (ISO/IEC 14496-12 §12.1.3). */
const VISUAL_ENTRY_BYTES = 78;

/**
 * Which configuration box each entry carries and how `@headwater/codecs` names the codec.
 * avc3/hev1 share avc1/hvc1's records; only the sample entry (and the codec string's prefix) differ.
 */
const CONFIG: Record<VideoSampleEntry, { box: string; codec: VideoCodec }> = {
  avc1: { box: 'avcC', codec: 'avc1' },
  avc3: { box: 'avcC', codec: 'avc1' },
  hvc1: { box: 'hvcC', codec: 'hvc1' },
  hev1: { box: 'hvcC', codec: 'hvc1' },
  av01: { box: 'av1C', codec: 'av01' },
  vp09: { box: 'vpcC', codec: 'vp09' },
};

/** Reads a VisualSampleEntry and the codec string of its configuration record (RFC 6381 §3.3). */
export function readVideoSampleEntry(fourcc: VideoSampleEntry, entry: Mp4Box, budget: BoxBudget): VideoEntryInfo {
  const r = new ByteReader(entry.payload);
  r.skip(8 + 16); // SampleEntry, pre_defined/reserved
  const width = r.u16();
  const height = r.u16();
  r.skip(VISUAL_ENTRY_BYTES - r.offset);
  const children = readBoxes(r.rest(), entry.depth + 1, budget);
  const { box, codec } = CONFIG[fourcc];
  const description = describeVideoConfig(codec, requireBox(children, box, fourcc).payload);
  // The record is the same for avc1/avc3 and hvc1/hev1: the string starts with the entry's FourCC.
  const codecString = codec === fourcc ? description.codecString : fourcc + description.codecString.slice(codec.length);
  const info: VideoEntryInfo = { codecString, width, height };
  if (description.frameRate !== undefined) info.frameRate = description.frameRate;
  if (description.bitDepth !== undefined) info.bitDepth = description.bitDepth;
  return info;
}
