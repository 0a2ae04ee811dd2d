import { ByteReader, ProtocolError } from '@headwater/bytes';

/** Opus ID header (RFC 7845 §5.1). Multi-byte fields are little-endian. */
export interface OpusHead {
  version: number;
  channelCount: number;
  /** Samples at 48 kHz to drop from the decoder output at the start. */
  preSkip: number;
  /** The encoder's input sample rate in Hz (informational; Opus always decodes at 48 kHz); 0 = unknown. */
  inputSampleRate: number;
  /** Output gain in dB (the Q7.8 field divided by 256). */
  outputGainDb: number;
  mappingFamily: number;
  /** Present when mappingFamily != 0 (RFC 7845 §5.1.1). */
  channelMapping?: { streamCount: number; coupledCount: number; mapping: Uint8Array };
}

const MAGIC = 'OpusHead';
/** RFC 7845 §5.1: the upper 4 bits of version are the major version; only 0 is defined. */
const MAX_COMPATIBLE_VERSION = 15;
/** Opus decodes at 48 kHz whatever the input rate was (RFC 7845 §5.1). */
export const OPUS_SAMPLE_RATE_HZ = 48000;

/** Parses an OpusHead (the E-RTMP `Opus` SequenceStart body when it is not empty). */
export function parseOpusHead(data: Uint8Array): OpusHead {
  const r = new ByteReader(data);
  if (r.fourcc() + r.fourcc() !== MAGIC) throw new ProtocolError('bad-opus-head', "missing 'OpusHead' magic");
  const version = r.u8();
  if (version > MAX_COMPATIBLE_VERSION) throw new ProtocolError('bad-opus-head', `incompatible version ${version}`);
  const channelCount = r.u8();
  if (channelCount === 0) throw new ProtocolError('bad-opus-head', 'channel count 0');
  const preSkip = u16le(r);
  const inputSampleRate = r.u32le();
  const gain = u16le(r);
  const outputGainDb = (gain >= 0x8000 ? gain - 0x10000 : gain) / 256;
  const mappingFamily = r.u8();
  const head: OpusHead = { version, channelCount, preSkip, inputSampleRate, outputGainDb, mappingFamily };
  if (mappingFamily !== 0) {
    const streamCount = r.u8();
    const coupledCount = r.u8();
    if (streamCount === 0 || coupledCount > streamCount) {
      throw new ProtocolError('bad-opus-head', `stream count ${streamCount}, coupled count ${coupledCount}`);
    }
    head.channelMapping = { streamCount, coupledCount, mapping: r.bytes(channelCount) };
  } else if (channelCount > 2) {
    throw new ProtocolError('bad-opus-head', `mapping family 0 allows 1 or 2 channels, not ${channelCount}`);
  }
  return head;
}

function u16le(r: ByteReader): number {
  const lo = r.u8();
  return lo | (r.u8() << 8);
}
