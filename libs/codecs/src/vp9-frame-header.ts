import { BitReader, ProtocolError } from '@headwater/bytes';

/** The start of a VP9 uncompressed_header() (VP9 bitstream spec §6.2). */
export interface Vp9FrameHeader {
  profile: number;
  /** show_existing_frame: the frame only re-shows a reference; nothing else is coded. */
  showExistingFrame: boolean;
  keyFrame: boolean;
  showFrame: boolean;
  intraOnly: boolean;
  /** Present on key frames (and intra-only frames of profile > 0). */
  bitDepth?: number;
  /** color_space (§7.2: 0 unknown, 1 BT.601, 2 BT.709, ..., 7 sRGB). */
  colorSpace?: number;
  fullRange?: boolean;
  subsamplingX?: boolean;
  subsamplingY?: boolean;
  /** frame_width_minus_1 + 1, on key frames and intra-only frames. */
  width?: number;
  height?: number;
  /** render_size(), defaulting to the frame size. */
  renderWidth?: number;
  renderHeight?: number;
}

const FRAME_MARKER = 2;
const SYNC_CODE = [0x49, 0x83, 0x42] as const;
const CS_RGB = 7;

/**
 * Parses the uncompressed header of a VP9 frame (or the first frame of a superframe, which
 * starts at byte 0; the superframe index sits at the end). Only key frames and intra-only
 * frames carry the picture size, which the ingest needs because vpcC has none.
 */
export function parseVp9FrameHeader(frame: Uint8Array): Vp9FrameHeader {
  const br = new BitReader(frame);
  if (br.bits(2) !== FRAME_MARKER) throw new ProtocolError('bad-vp9-frame', 'frame_marker is not 2');
  const profileLow = br.bit();
  const profile = (br.bit() << 1) | profileLow;
  if (profile === 3 && br.bit() !== 0) throw new ProtocolError('bad-vp9-frame', 'reserved_zero is set');
  const showExistingFrame = br.flag();
  if (showExistingFrame) {
    return { profile, showExistingFrame, keyFrame: false, showFrame: true, intraOnly: false };
  }
  const keyFrame = br.bit() === 0; // frame_type 0 = KEY_FRAME
  const showFrame = br.flag();
  const errorResilient = br.flag();
  const header: Vp9FrameHeader = { profile, showExistingFrame, keyFrame, showFrame, intraOnly: false };
  if (keyFrame) {
    readSyncCode(br);
    readColorConfig(br, header);
    readFrameSize(br, header);
    return header;
  }
  header.intraOnly = showFrame ? false : br.flag();
  if (!errorResilient) br.skip(2); // reset_frame_context
  if (!header.intraOnly) return header;
  readSyncCode(br);
  if (profile > 0) {
    readColorConfig(br, header);
  } else {
    // §7.2: intra-only profile 0 frames are 8-bit 4:2:0 BT.601.
    Object.assign(header, { bitDepth: 8, colorSpace: 1, fullRange: false, subsamplingX: true, subsamplingY: true });
  }
  br.skip(8); // refresh_frame_flags
  readFrameSize(br, header);
  return header;
}

function readSyncCode(br: BitReader): void {
  for (const b of SYNC_CODE) {
    if (br.bits(8) !== b) throw new ProtocolError('bad-vp9-frame', 'frame_sync_code mismatch');
  }
}

/** color_config() (§6.2.2). */
function readColorConfig(br: BitReader, h: Vp9FrameHeader): void {
  h.bitDepth = h.profile >= 2 ? (br.flag() ? 12 : 10) : 8;
  h.colorSpace = br.bits(3);
  const oddProfile = h.profile === 1 || h.profile === 3;
  if (h.colorSpace !== CS_RGB) {
    h.fullRange = br.flag();
    if (oddProfile) {
      h.subsamplingX = br.flag();
      h.subsamplingY = br.flag();
      br.skip(1); // reserved_zero
    } else {
      h.subsamplingX = true;
      h.subsamplingY = true;
    }
  } else {
    h.fullRange = true;
    h.subsamplingX = false;
    h.subsamplingY = false;
    if (oddProfile) br.skip(1); // reserved_zero
  }
}

/** frame_size() and render_size() (§6.2.5, §6.2.6). */
function readFrameSize(br: BitReader, h: Vp9FrameHeader): void {
  h.width = br.bits(16) + 1;
  h.height = br.bits(16) + 1;
  if (br.flag()) {
    h.renderWidth = br.bits(16) + 1;
    h.renderHeight = br.bits(16) + 1;
  } else {
    h.renderWidth = h.width;
    h.renderHeight = h.height;
  }
}
