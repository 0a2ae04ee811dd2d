import { BitReader, ProtocolError } from '@headwater/bytes';

/** AC-3 syncframe header: syncinfo + the start of bsi (ATSC A/52 §5.3.1, §5.3.2). */
export interface Ac3FrameHeader {
  fscod: number;
  frmsizecod: number;
  bsid: number;
  bsmod: number;
  acmod: number;
  lfeon: boolean;
  sampleRate: number;
  /** Full-bandwidth channels + LFE. */
  channels: number;
  bitrate: number;
  frameBytes: number;
}

/** E-AC-3 syncframe header (A/52 Annex E §E.2.2.2). */
export interface Eac3FrameHeader {
  /** 0 independent, 1 dependent, 2 AC-3 converted, 3 reserved. */
  strmtyp: number;
  substreamid: number;
  /** frmsiz + 1 16-bit words. */
  frameBytes: number;
  fscod: number;
  fscod2?: number;
  numblkscod: number;
  /** Audio blocks per syncframe (1, 2, 3 or 6), 256 samples each. */
  blocks: number;
  acmod: number;
  lfeon: boolean;
  bsid: number;
  sampleRate: number;
  channels: number;
  /** chanmap of a dependent substream (Table E2.5), when chanmape is set. */
  chanmap?: number;
  bitrate: number;
}

const SYNC_WORD = 0x0b77;
/** fscod -> Hz (Table 5.6); 3 is reserved (E-AC-3: reduced rates via fscod2). */
const SAMPLE_RATES = [48000, 44100, 32000] as const;
const REDUCED_SAMPLE_RATES = [24000, 22050, 16000] as const;
/** frmsizecod >> 1 -> kbit/s (Table 5.18). */
const BITRATES_KBPS = [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 576, 640] as const;
/** acmod -> full-bandwidth channels (Table 5.8; acmod 0 is 1+1 dual mono). */
const ACMOD_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5] as const;
const NUM_BLOCKS = [1, 2, 3, 6] as const;
const SAMPLES_PER_BLOCK = 256;
/** bsid 0..8 is AC-3 (9, 10 are decodable by AC-3 decoders, A/52 §5.4.2.1); 11..16 is E-AC-3. */
const MAX_AC3_BSID = 10;
const MIN_EAC3_BSID = 11;
const MAX_EAC3_BSID = 16;

/** True when the syncframe at the start of `frame` is E-AC-3 (bsid > 10), false for AC-3. */
export function isEac3Frame(frame: Uint8Array): boolean {
  if (frame.length < 6) throw new ProtocolError('truncated', 'AC-3 syncframe header needs 6 bytes');
  if (((frame[0]! << 8) | frame[1]!) !== SYNC_WORD) throw new ProtocolError('bad-ac3-frame', 'no 0x0B77 syncword');
  return frame[5]! >> 3 > MAX_AC3_BSID;
}

/** Parses the AC-3 syncframe header at the start of `frame`. */
export function parseAc3FrameHeader(frame: Uint8Array): Ac3FrameHeader {
  const br = new BitReader(frame);
  if (br.bits(16) !== SYNC_WORD) throw new ProtocolError('bad-ac3-frame', 'no 0x0B77 syncword');
  br.skip(16); // crc1
  const fscod = br.bits(2);
  const frmsizecod = br.bits(6);
  const bsid = br.bits(5);
  if (bsid > MAX_AC3_BSID) throw new ProtocolError('bad-ac3-frame', `bsid ${bsid} is not AC-3`);
  const bsmod = br.bits(3);
  const acmod = br.bits(3);
  if ((acmod & 1) !== 0 && acmod !== 1) br.skip(2); // cmixlev
  if ((acmod & 4) !== 0) br.skip(2); // surmixlev
  if (acmod === 2) br.skip(2); // dsurmod
  const lfeon = br.flag();
  const sampleRate = SAMPLE_RATES[fscod];
  const kbps = BITRATES_KBPS[frmsizecod >> 1];
  if (sampleRate === undefined) throw new ProtocolError('bad-ac3-frame', 'fscod 3 is reserved');
  if (kbps === undefined) throw new ProtocolError('bad-ac3-frame', `frmsizecod ${frmsizecod}`);
  // Table 5.18: 1536 samples per frame; at 44.1 kHz odd frmsizecod adds one word.
  const words = Math.floor((kbps * 1000 * 1536) / (sampleRate * 16)) + (fscod === 1 ? frmsizecod & 1 : 0);
  return {
    fscod,
    frmsizecod,
    bsid,
    bsmod,
    acmod,
    lfeon,
    sampleRate,
    channels: ACMOD_CHANNELS[acmod]! + (lfeon ? 1 : 0),
    bitrate: kbps * 1000,
    frameBytes: words * 2,
  };
}

/** Parses the E-AC-3 syncframe header at the start of `frame` (through chanmap for dependent substreams). */
export function parseEac3FrameHeader(frame: Uint8Array): Eac3FrameHeader {
  const br = new BitReader(frame);
  if (br.bits(16) !== SYNC_WORD) throw new ProtocolError('bad-ac3-frame', 'no 0x0B77 syncword');
  const strmtyp = br.bits(2);
  const substreamid = br.bits(3);
  const frameBytes = (br.bits(11) + 1) * 2;
  const fscod = br.bits(2);
  let fscod2: number | undefined;
  let numblkscod = 3;
  let sampleRate: number | undefined;
  if (fscod === 3) {
    fscod2 = br.bits(2);
    sampleRate = REDUCED_SAMPLE_RATES[fscod2];
  } else {
    numblkscod = br.bits(2);
    sampleRate = SAMPLE_RATES[fscod];
  }
  if (sampleRate === undefined) throw new ProtocolError('bad-ac3-frame', 'fscod2 3 is reserved');
  const acmod = br.bits(3);
  const lfeon = br.flag();
  const bsid = br.bits(5);
  if (bsid < MIN_EAC3_BSID || bsid > MAX_EAC3_BSID) throw new ProtocolError('bad-ac3-frame', `bsid ${bsid} is not E-AC-3`);
  if (strmtyp === 3) throw new ProtocolError('bad-ac3-frame', 'strmtyp 3 is reserved');
  const blocks = NUM_BLOCKS[numblkscod]!;
  const header: Eac3FrameHeader = {
    strmtyp,
    substreamid,
    frameBytes,
    fscod,
    numblkscod,
    blocks,
    acmod,
    lfeon,
    bsid,
    sampleRate,
    channels: ACMOD_CHANNELS[acmod]! + (lfeon ? 1 : 0),
    bitrate: Math.round((frameBytes * 8 * sampleRate) / (blocks * SAMPLES_PER_BLOCK)),
  };
  if (fscod2 !== undefined) header.fscod2 = fscod2;
  br.skip(5); // dialnorm
  if (br.flag()) br.skip(8); // compre -> compr
  if (acmod === 0) {
    br.skip(5); // dialnorm2
    if (br.flag()) br.skip(8); // compr2e -> compr2
  }
  if (strmtyp === 1 && br.flag()) header.chanmap = br.bits(16); // chanmape -> chanmap
  return header;
}

/** chanmap bits (Table E2.5, bit 0 = MSB) that stand for a channel pair; the others are one channel. */
const CHANMAP_PAIRS = [5, 6, 9, 10, 11, 13] as const;
/** acmod -> chanmap bits of its channels (L 0, C 1, R 2, Ls 3, Rs 4, Cs 7), LFE is bit 15. */
const ACMOD_CHANMAP = [0b101 << 13, 0b010 << 13, 0b101 << 13, 0b111 << 13, 0b1010000100000000, 0b1110000100000000, 0b1011100000000000, 0b1111100000000000] as const;
const CHANMAP_LFE = 1;
/** Syncframes walked in one FLV frame: 8 independent substreams with up to 8 dependents each would be far more. */
const MAX_SYNCFRAMES = 16;

/**
 * Output channels of an E-AC-3 frame: the first independent substream plus any dependent
 * substreams that follow it, whose chanmap adds channels (e.g. 7.1 = 5.1 + Lrs/Rrs).
 */
export function eac3Channels(frame: Uint8Array): { header: Eac3FrameHeader; channels: number } {
  const header = parseEac3FrameHeader(frame);
  let map = ACMOD_CHANMAP[header.acmod]! | (header.lfeon ? CHANMAP_LFE : 0);
  let offset = header.frameBytes;
  for (let i = 1; i < MAX_SYNCFRAMES && offset + 6 <= frame.length; i++) {
    const next = frame.subarray(offset);
    if (((next[0]! << 8) | next[1]!) !== SYNC_WORD) break;
    const dep = parseEac3FrameHeader(next);
    if (dep.strmtyp !== 1) break; // the next independent substream or program
    if (dep.chanmap !== undefined) map |= dep.chanmap;
    offset += dep.frameBytes;
  }
  let channels = 0;
  for (let bit = 0; bit < 16; bit++) {
    if ((map >> (15 - bit)) & 1) channels += (CHANMAP_PAIRS as readonly number[]).includes(bit) ? 2 : 1;
  }
  return { header, channels };
}
