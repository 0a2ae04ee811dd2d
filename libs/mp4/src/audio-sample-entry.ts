import { BitReader, ByteReader, ProtocolError } from '@headwater/bytes';
import { CODEC_STRING, OPUS_SAMPLE_RATE_HZ, describeAudioConfig, parseFlacStreamInfo } from '@headwater/codecs';
import type { BoxBudget, Mp4Box } from './box-reader.js';
import { findBox, readBoxes, readFullBox, requireBox } from './box-reader.js';

/** Audio sample entries we describe (ISO/IEC 14496-14, Opus-in-ISOBMFF, FLAC-in-ISOBMFF, ETSI TS 102 366 Annex F). */
export const AUDIO_SAMPLE_ENTRIES = ['mp4a', 'Opus', 'fLaC', 'ac-3', 'ec-3'] as const;
export type AudioSampleEntry = (typeof AUDIO_SAMPLE_ENTRIES)[number];

/** What an audio sample entry tells. */
export interface AudioEntryInfo {
  codecString: string;
  sampleRate: number;
  /** Undefined when only the sample entry's channelcount would say: ISO writers may put a fixed 2 there (§12.2.3). */
  channels?: number;
}

/** QuickTime sound description v1 adds 4 u32 after the v0 fields; v2 replaces them with 36 bytes (QTFF "Sound Sample Descriptions"). */
const QT_V1_EXTRA_BYTES = 16;
const QT_V2_EXTRA_BYTES = 36;

/** MPEG-4 descriptor tags (ISO/IEC 14496-1 §7.2.2.1). */
const TAG = { ES: 0x03, DECODER_CONFIG: 0x04, DECODER_SPECIFIC: 0x05 } as const;
/** objectTypeIndication values (14496-1 Table 5, the MP4 registration authority). */
const OTI_AAC = new Set([0x40, 0x66, 0x67, 0x68]);
const OTI_MP3 = new Set([0x69, 0x6b]);

/** A/52 Table 5.8: full-bandwidth channels per acmod. */
const ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5] as const;
/** A/52 Table 5.6: sample rate per fscod (3 is reserved). */
const AC3_SAMPLE_RATES = [48000, 44100, 32000] as const;
/** TS 102 366 Table F.6.1 chan_loc bits, MSB first: channels each location adds (Lc/Rc, Lrs/Rrs, Cs, Ts, Lsd/Rsd, Lw/Rw, Lvh/Rvh, Cvh, LFE2). */
const CHAN_LOC_CHANNELS = [2, 2, 1, 1, 2, 2, 2, 1, 1] as const;

/**
 * Reads an AudioSampleEntry: channel count and sample rate from the entry, refined by the
 * codec's configuration box (esds AudioSpecificConfig, dOps, dfLa, dac3, dec3), which is the
 * authority where it says more (HE-AAC's output rate, > 2 channels).
 */
export function readAudioSampleEntry(
  fourcc: AudioSampleEntry,
  entry: Mp4Box,
  stsdVersion: number,
  budget: BoxBudget,
): AudioEntryInfo {
  const r = new ByteReader(entry.payload);
  r.skip(8); // reserved(6) + data_reference_index
  const version = r.u16();
  r.skip(6);
  r.skip(2); // channelcount: FFmpeg and others write a fixed 2 in ISO mode; the codec config is the authority
  let channels: number | undefined;
  r.skip(6); // samplesize, pre_defined, reserved
  let sampleRate = r.u32() >>> 16;
  // stsd version 1 holds ISO AudioSampleEntryV1, laid out as v0; under stsd v0 an entry version
  // of 1 or 2 is QuickTime's longer sound description (FFmpeg writes it only in .mov).
  if (stsdVersion === 0 && version === 1) r.skip(QT_V1_EXTRA_BYTES);
  else if (stsdVersion === 0 && version === 2) {
    const extra = new ByteReader(r.bytes(QT_V2_EXTRA_BYTES));
    extra.skip(4);
    sampleRate = Math.round(extra.f64());
    channels = extra.u32();
  }
  const children = readBoxes(r.rest(), entry.depth + 1, budget);
  const base: Omit<AudioEntryInfo, 'codecString'> = channels === undefined ? { sampleRate } : { sampleRate, channels };

  switch (fourcc) {
    case 'mp4a':
      return readEsds(requireBox(children, 'esds', fourcc), base);
    case 'Opus': {
      const dops = new ByteReader(requireBox(children, 'dOps', fourcc).payload);
      const dopsVersion = dops.u8();
      if (dopsVersion !== 0) throw new ProtocolError('bad-box', `dOps version ${dopsVersion}`);
      // Opus always decodes at 48 kHz; dOps InputSampleRate is only the encoder's input (RFC 7845 §5.1).
      return { codecString: CODEC_STRING.opus, sampleRate: OPUS_SAMPLE_RATE_HZ, channels: dops.u8() };
    }
    case 'fLaC': {
      // dfLa: FullBox, then FLAC metadata blocks, STREAMINFO first (FLAC-in-ISOBMFF §3.3.2).
      const { reader } = readFullBox(requireBox(children, 'dfLa', fourcc));
      const info = parseFlacStreamInfo(reader.rest());
      return { codecString: CODEC_STRING.flac, sampleRate: info.sampleRate, channels: info.channels };
    }
    case 'ac-3':
      return readDac3(findBox(children, 'dac3'), base);
    case 'ec-3':
      return readDec3(findBox(children, 'dec3'), base);
    default:
      return fourcc satisfies never;
  }
}

/** esds (14496-14 §5.6): ES_Descriptor > DecoderConfigDescriptor > DecoderSpecificInfo. */
function readEsds(esds: Mp4Box, base: Omit<AudioEntryInfo, 'codecString'>): AudioEntryInfo {
  const { reader } = readFullBox(esds);
  const es = readDescriptor(reader, TAG.ES);
  es.skip(2); // ES_ID
  const flags = es.u8();
  if (flags & 0x80) es.skip(2); // dependsOn_ES_ID
  if (flags & 0x40) es.skip(es.u8()); // URL
  if (flags & 0x20) es.skip(2); // OCR_ES_Id
  const dcd = readDescriptor(es, TAG.DECODER_CONFIG);
  const oti = dcd.u8();
  dcd.skip(12); // streamType/upStream/reserved, bufferSizeDB, maxBitrate, avgBitrate
  if (OTI_MP3.has(oti)) return { codecString: CODEC_STRING.mp3, ...base };
  if (!OTI_AAC.has(oti)) return { codecString: `mp4a.${oti.toString(16).padStart(2, '0')}`, ...base };
  const asc = readDescriptor(dcd, TAG.DECODER_SPECIFIC).rest();
  const desc = describeAudioConfig('mp4a', asc);
  const info: AudioEntryInfo = { ...base, codecString: desc.codecString, sampleRate: desc.sampleRate ?? base.sampleRate };
  // channelConfiguration 0 (a program_config_element we do not walk) leaves the count unknown.
  if (desc.channels) info.channels = desc.channels;
  return info;
}

/**
 * One descriptor of the expected tag (14496-1 §8.3.3: the size is 1-4 bytes of 7 bits, the top
 * bit saying another byte follows); a reader over exactly its body.
 */
function readDescriptor(r: ByteReader, tag: number): ByteReader {
  const found = r.u8();
  if (found !== tag) throw new ProtocolError('bad-box', `esds descriptor tag ${found}, expected ${tag}`);
  let size = 0;
  for (let i = 0; i < 4; i++) {
    const b = r.u8();
    size = size * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) break;
  }
  return new ByteReader(r.bytes(size));
}

/** dac3 (TS 102 366 §F.4): fscod, bsid, bsmod, acmod, lfeon, bit_rate_code. */
function readDac3(dac3: Mp4Box | undefined, base: Omit<AudioEntryInfo, 'codecString'>): AudioEntryInfo {
  if (!dac3) return { codecString: CODEC_STRING.ac3, ...base };
  const br = new BitReader(dac3.payload);
  const fscod = br.bits(2);
  br.skip(5 + 3); // bsid, bsmod
  const acmod = br.bits(3);
  const lfeon = br.bits(1);
  return {
    codecString: CODEC_STRING.ac3,
    sampleRate: AC3_SAMPLE_RATES[fscod] ?? base.sampleRate,
    channels: (ACMOD_CHANNELS[acmod] ?? 0) + lfeon,
  };
}

/** dec3 (TS 102 366 §F.6): the first independent substream, plus its dependent substreams' channel locations. */
function readDec3(dec3: Mp4Box | undefined, base: Omit<AudioEntryInfo, 'codecString'>): AudioEntryInfo {
  if (!dec3) return { codecString: CODEC_STRING.eac3, ...base };
  const br = new BitReader(dec3.payload);
  br.skip(13 + 3); // data_rate, num_ind_sub (we describe independent substream 0)
  const fscod = br.bits(2);
  br.skip(5 + 1 + 1 + 3); // bsid, reserved, asvc, bsmod
  const acmod = br.bits(3);
  const lfeon = br.bits(1);
  br.skip(3); // reserved
  const numDepSub = br.bits(4);
  let channels = (ACMOD_CHANNELS[acmod] ?? 0) + lfeon;
  if (numDepSub > 0) {
    const chanLoc = br.bits(9);
    CHAN_LOC_CHANNELS.forEach((n, i) => {
      if (chanLoc & (1 << (8 - i))) channels += n;
    });
  }
  return { codecString: CODEC_STRING.eac3, sampleRate: AC3_SAMPLE_RATES[fscod] ?? base.sampleRate, channels };
}
