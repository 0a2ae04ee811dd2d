import { BitReader, ProtocolError } from '@headwater/bytes';

/** AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1), the FLV `AF 00` payload. */
export interface AudioSpecificConfig {
  /** The first audioObjectType (2 AAC-LC, 5 SBR, 29 PS, ...): what codec strings carry. */
  objectType: number;
  /** The underlying object type under explicit SBR/PS signalling (2 for HE-AAC), else = objectType. */
  coreObjectType: number;
  samplingFrequencyIndex: number;
  /** Core sample rate in Hz. */
  sampleRate: number;
  channelConfiguration: number;
  /** Channel count from channelConfiguration or the program_config_element; undefined if unknown. */
  channels?: number;
  sbrPresent: boolean;
  psPresent: boolean;
  /** SBR output sample rate in Hz, when SBR is signalled. */
  extensionSampleRate?: number;
  /** GASpecificConfig frameLengthFlag: 960 (true) or 1024 samples per frame. */
  frameLengthFlag?: boolean;
}

/** samplingFrequencyIndex 0..12 (Table 1.18); 13, 14 reserved; 15 = explicit 24-bit value. */
const SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const EXPLICIT_FREQUENCY = 15;
/** channelConfiguration -> channels (Table 1.19 with the 2013+ additions); 0 = PCE, undefined = reserved. */
const CHANNELS: readonly (number | undefined)[] = [0, 1, 2, 3, 4, 5, 6, 8, undefined, undefined, undefined, 7, 8, 24, 8];
const AOT = { SBR: 5, ER_BSAC: 22, PS: 29, ESCAPE: 31 } as const;
/** Object types whose specific config is GASpecificConfig (§1.6.2.1). */
const GA_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);
/** Error-resilient object types, followed by epConfig (§1.6.2.1). */
const ER_TYPES: ReadonlySet<number> = new Set([17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39]);
const SYNC_SBR = 0x2b7;
const SYNC_PS = 0x548;

/** Parses an AudioSpecificConfig. SBR/PS in any signalling form is reported, never fatal. */
export function parseAudioSpecificConfig(data: Uint8Array): AudioSpecificConfig {
  const br = new BitReader(data);
  const objectType = readObjectType(br);
  if (objectType === 0) throw new ProtocolError('bad-audio-specific-config', 'audioObjectType 0 (null)');
  const samplingFrequencyIndex = br.bits(4);
  const sampleRate = readFrequency(br, samplingFrequencyIndex);
  const channelConfiguration = br.bits(4);
  let coreObjectType = objectType;
  let sbrPresent = false;
  let psPresent = false;
  let extensionSampleRate: number | undefined;
  let extensionType = 0;
  if (objectType === AOT.SBR || objectType === AOT.PS) {
    // Explicit hierarchical signalling (§1.6.5.2): the extension comes first, then the core type.
    extensionType = AOT.SBR;
    sbrPresent = true;
    psPresent = objectType === AOT.PS;
    extensionSampleRate = readFrequency(br, br.bits(4));
    coreObjectType = readObjectType(br);
    if (coreObjectType === AOT.ER_BSAC) br.skip(4); // extensionChannelConfiguration
  }
  const asc: AudioSpecificConfig = {
    objectType,
    coreObjectType,
    samplingFrequencyIndex,
    sampleRate,
    channelConfiguration,
    sbrPresent,
    psPresent,
  };
  const fixedChannels = CHANNELS[channelConfiguration];
  if (fixedChannels !== undefined && fixedChannels > 0) asc.channels = fixedChannels;
  if (extensionSampleRate !== undefined) asc.extensionSampleRate = extensionSampleRate;
  if (!GA_TYPES.has(coreObjectType)) return asc; // CELP, HVXC, ALS, MPEG-1/2 layers...: nothing more we need

  asc.frameLengthFlag = br.flag();
  if (br.flag()) br.skip(14); // dependsOnCoreCoder -> coreCoderDelay
  const extensionFlag = br.flag();
  if (channelConfiguration === 0) asc.channels = readProgramConfigElementChannels(br);
  if (coreObjectType === 6 || coreObjectType === 20) br.skip(3); // layerNr
  if (extensionFlag) {
    if (coreObjectType === AOT.ER_BSAC) br.skip(5 + 11); // numOfSubFrame, layer_length
    if (coreObjectType === 17 || coreObjectType === 19 || coreObjectType === 20 || coreObjectType === 23) br.skip(3);
    br.skip(1); // extensionFlag3
  }
  if (ER_TYPES.has(coreObjectType)) {
    const epConfig = br.bits(2);
    if (epConfig === 2 || epConfig === 3) return asc; // ErrorProtectionSpecificConfig: not needed, not parsed
  }
  // Backward-compatible explicit signalling (§1.6.5.2): a sync extension after the core config.
  if (extensionType !== AOT.SBR && br.bitsLeft >= 16) {
    if (br.bits(11) === SYNC_SBR) {
      const ext = readObjectType(br);
      if (ext === AOT.SBR) {
        asc.sbrPresent = br.flag();
        if (asc.sbrPresent) {
          asc.extensionSampleRate = readFrequency(br, br.bits(4));
          if (br.bitsLeft >= 12 && br.bits(11) === SYNC_PS) asc.psPresent = br.flag();
        }
      } else if (ext === AOT.ER_BSAC) {
        asc.sbrPresent = br.flag();
        if (asc.sbrPresent) asc.extensionSampleRate = readFrequency(br, br.bits(4));
        br.skip(4); // extensionChannelConfiguration
      }
    }
  }
  return asc;
}

/** GetAudioObjectType() (§1.6.2.1): 5 bits, 31 escapes to 32 + 6 bits. */
function readObjectType(br: BitReader): number {
  const t = br.bits(5);
  return t === AOT.ESCAPE ? 32 + br.bits(6) : t;
}

function readFrequency(br: BitReader, index: number): number {
  if (index === EXPLICIT_FREQUENCY) {
    const hz = br.bits(24);
    if (hz === 0) throw new ProtocolError('bad-audio-specific-config', 'explicit sampling frequency 0');
    return hz;
  }
  const hz = SAMPLE_RATES[index];
  if (hz === undefined) throw new ProtocolError('bad-audio-specific-config', `samplingFrequencyIndex ${index} is reserved`);
  return hz;
}

/** program_config_element() (§4.4.1.1): counts the output channels, skips the rest. */
function readProgramConfigElementChannels(br: BitReader): number {
  br.skip(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = br.bits(4);
  const side = br.bits(4);
  const back = br.bits(4);
  const lfe = br.bits(2);
  const assocData = br.bits(3);
  const validCc = br.bits(4);
  if (br.flag()) br.skip(4); // mono_mixdown
  if (br.flag()) br.skip(4); // stereo_mixdown
  if (br.flag()) br.skip(3); // matrix_mixdown_idx, pseudo_surround_enable
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += br.flag() ? 2 : 1; // is_cpe
    br.skip(4); // tag_select
  }
  br.skip(4 * lfe + 4 * assocData + 5 * validCc);
  // byte_alignment() is relative to the start of the AudioSpecificConfig, which is our buffer start.
  br.byteAlign();
  br.skip(8 * br.bits(8)); // comment_field_bytes + comment
  return channels;
}
