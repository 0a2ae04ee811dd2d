import { ByteReader, ProtocolError } from '@headwater/bytes';
import { OBU_TYPE, parseAv1SequenceHeader, splitObus } from './av1-sequence-header.js';
import type { Av1SequenceHeader } from './av1-sequence-header.js';

/** AV1CodecConfigurationRecord (AV1-ISOBMFF §2.3.3). */
export interface Av1CodecConfigurationRecord {
  version: number;
  seqProfile: number;
  seqLevelIdx0: number;
  seqTier0: number;
  highBitdepth: boolean;
  twelveBit: boolean;
  monochrome: boolean;
  chromaSubsamplingX: boolean;
  chromaSubsamplingY: boolean;
  chromaSamplePosition: number;
  /** initial_presentation_delay_minus_one + 1, when signalled. */
  initialPresentationDelay?: number;
  /** configOBUs: zero or more OBUs (normally one sequence header), a view into the input. */
  configObus: Uint8Array;
  /** The parsed sequence header from configOBUs, when there is one. */
  sequenceHeader?: Av1SequenceHeader;
}

/** Parses an av1C body (E-RTMP `av01` SequenceStart payload), including its sequence header OBU. */
export function parseAv1c(data: Uint8Array): Av1CodecConfigurationRecord {
  const r = new ByteReader(data);
  const b0 = r.u8();
  if (b0 >> 7 !== 1) throw new ProtocolError('bad-av1c', 'marker bit is 0');
  const version = b0 & 0x7f;
  if (version !== 1) throw new ProtocolError('bad-av1c', `version ${version}, expected 1`);
  const b1 = r.u8();
  const b2 = r.u8();
  const b3 = r.u8();
  const configObus = r.rest();
  const record: Av1CodecConfigurationRecord = {
    version,
    seqProfile: b1 >> 5,
    seqLevelIdx0: b1 & 0x1f,
    seqTier0: b2 >> 7,
    highBitdepth: (b2 & 0x40) !== 0,
    twelveBit: (b2 & 0x20) !== 0,
    monochrome: (b2 & 0x10) !== 0,
    chromaSubsamplingX: (b2 & 0x08) !== 0,
    chromaSubsamplingY: (b2 & 0x04) !== 0,
    chromaSamplePosition: b2 & 0x03,
    configObus,
  };
  if (b3 & 0x10) record.initialPresentationDelay = (b3 & 0x0f) + 1;
  const seq = splitObus(configObus).find((o) => o.type === OBU_TYPE.SEQUENCE_HEADER);
  if (seq) record.sequenceHeader = parseAv1SequenceHeader(seq.payload);
  return record;
}

/** Bit depth as av1C signals it (high_bitdepth, twelve_bit). */
export function av1cBitDepth(record: Av1CodecConfigurationRecord): number {
  if (!record.highBitdepth) return 8;
  return record.twelveBit ? 12 : 10;
}
