import { BitWriter, concat } from './bit-writer.js';

function writeAot(w: BitWriter, aot: number): void {
  if (aot >= 32) w.bits(5, 31).bits(6, aot - 32);
  else w.bits(5, aot);
}

function writeFreq(w: BitWriter, hzOrIndex: { index: number } | { hz: number }): void {
  if ('hz' in hzOrIndex) w.bits(4, 15).bits(24, hzOrIndex.hz);
  else w.bits(4, hzOrIndex.index);
}

export interface AscSpec {
  aot: number;
  freq: { index: number } | { hz: number };
  channelConfig: number;
  /** Explicit hierarchical signalling (aot 5 or 29): the SBR rate and the core type. */
  hierarchical?: { extFreq: { index: number } | { hz: number }; coreAot: number };
  frameLength960?: boolean;
  coreCoderDelay?: number;
  /** channelConfig 0: [front is_cpe flags, side, back, lfe count], plus a comment. */
  pce?: { front: boolean[]; side: boolean[]; back: boolean[]; lfe: number; comment?: string };
  /** Backward-compatible sync extension (0x2B7) after GASpecificConfig. */
  syncExt?: { sbr: boolean; extFreq?: { index: number } | { hz: number }; ps?: boolean };
}

export function buildAsc(s: AscSpec): Uint8Array {
  const w = new BitWriter();
  writeAot(w, s.aot);
  writeFreq(w, s.freq);
  w.bits(4, s.channelConfig);
  let core = s.aot;
  if (s.hierarchical) {
    writeFreq(w, s.hierarchical.extFreq);
    writeAot(w, s.hierarchical.coreAot);
    core = s.hierarchical.coreAot;
  }
  if ([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23].includes(core)) {
    w.flag(s.frameLength960 ?? false);
    if (s.coreCoderDelay !== undefined) w.flag(true).bits(14, s.coreCoderDelay);
    else w.flag(false);
    w.flag(false); // extensionFlag
    if (s.channelConfig === 0 && s.pce) {
      const p = s.pce;
      w.bits(4, 0).bits(2, 1).bits(4, 3);
      w.bits(4, p.front.length).bits(4, p.side.length).bits(4, p.back.length).bits(2, p.lfe).bits(3, 0).bits(4, 0);
      w.flag(false).flag(false).flag(false);
      for (const cpe of [...p.front, ...p.side, ...p.back]) w.flag(cpe).bits(4, 0);
      for (let i = 0; i < p.lfe; i++) w.bits(4, i);
      w.align();
      const comment = [...(p.comment ?? '')].map((c) => c.charCodeAt(0));
      w.bits(8, comment.length).bytes(comment);
    }
    if (core === 6 || core === 20) w.bits(3, 0);
  }
  if ([17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 39].includes(core)) w.bits(2, 0); // epConfig
  if (s.syncExt) {
    w.bits(11, 0x2b7);
    writeAot(w, 5);
    w.flag(s.syncExt.sbr);
    if (s.syncExt.sbr) {
      writeFreq(w, s.syncExt.extFreq ?? { index: 3 });
      if (s.syncExt.ps !== undefined) w.bits(11, 0x548).flag(s.syncExt.ps);
    }
  }
  return w.finish();
}

export interface OpusHeadSpec {
  version?: number;
  channels: number;
  preSkip: number;
  inputRate: number;
  gainQ78?: number;
  family: number;
  streams?: number;
  coupled?: number;
  mapping?: number[];
}

export function buildOpusHead(s: OpusHeadSpec): Uint8Array {
  const gain = (s.gainQ78 ?? 0) & 0xffff;
  const head = [
    ...[...'OpusHead'].map((c) => c.charCodeAt(0)),
    s.version ?? 1,
    s.channels,
    s.preSkip & 0xff,
    s.preSkip >> 8,
    s.inputRate & 0xff,
    (s.inputRate >> 8) & 0xff,
    (s.inputRate >> 16) & 0xff,
    (s.inputRate >>> 24) & 0xff,
    gain & 0xff,
    gain >> 8,
    s.family,
  ];
  if (s.family !== 0) head.push(s.streams ?? 1, s.coupled ?? 0, ...(s.mapping ?? []));
  return Uint8Array.from(head);
}

export interface StreamInfoSpec {
  minBlock: number;
  maxBlock: number;
  minFrame: number;
  maxFrame: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  totalSamples: number;
}

export function buildStreamInfo(s: StreamInfoSpec, form: 'raw' | 'block' | 'marker'): Uint8Array {
  const w = new BitWriter();
  w.bits(16, s.minBlock).bits(16, s.maxBlock).bits(24, s.minFrame).bits(24, s.maxFrame);
  w.bits(20, s.sampleRate).bits(3, s.channels - 1).bits(5, s.bitsPerSample - 1);
  w.bits(4, Math.floor(s.totalSamples / 2 ** 32)).bits(32, s.totalSamples % 2 ** 32);
  for (let i = 0; i < 16; i++) w.bits(8, i * 17);
  const block = w.finish();
  if (form === 'raw') return block;
  const header = [0x80, 0, 0, 34];
  return form === 'block' ? concat(header, block) : concat([0x66, 0x4c, 0x61, 0x43], header, block);
}

export interface Ac3Spec {
  fscod: number;
  frmsizecod: number;
  bsid?: number;
  acmod: number;
  lfeon: boolean;
}

/** An AC-3 syncframe header (syncinfo + bsi start), padded to the frame size when `pad`. */
export function buildAc3(s: Ac3Spec): Uint8Array {
  const w = new BitWriter();
  w.bits(16, 0x0b77).bits(16, 0x1234).bits(2, s.fscod).bits(6, s.frmsizecod);
  w.bits(5, s.bsid ?? 8).bits(3, 0).bits(3, s.acmod);
  if ((s.acmod & 1) !== 0 && s.acmod !== 1) w.bits(2, 0);
  if ((s.acmod & 4) !== 0) w.bits(2, 0);
  if (s.acmod === 2) w.bits(2, 0);
  w.flag(s.lfeon).bits(5, 27);
  return w.finish();
}

export interface Eac3Spec {
  strmtyp: number;
  substreamid?: number;
  frameBytes: number;
  fscod: number;
  fscod2?: number;
  numblkscod?: number;
  acmod: number;
  lfeon: boolean;
  bsid?: number;
  chanmap?: number;
}

/** An E-AC-3 syncframe, zero-padded to frameBytes. */
export function buildEac3(s: Eac3Spec): Uint8Array {
  const w = new BitWriter();
  w.bits(16, 0x0b77).bits(2, s.strmtyp).bits(3, s.substreamid ?? 0).bits(11, s.frameBytes / 2 - 1).bits(2, s.fscod);
  if (s.fscod === 3) w.bits(2, s.fscod2 ?? 0);
  else w.bits(2, s.numblkscod ?? 3);
  w.bits(3, s.acmod).flag(s.lfeon).bits(5, s.bsid ?? 16).bits(5, 31).flag(false);
  if (s.acmod === 0) w.bits(5, 31).flag(false);
  if (s.strmtyp === 1) {
    w.flag(s.chanmap !== undefined);
    if (s.chanmap !== undefined) w.bits(16, s.chanmap);
  }
  const head = w.finish();
  const out = new Uint8Array(Math.max(s.frameBytes, head.length));
  out.set(head);
  return out;
}

export interface Mp3Spec {
  versionBits: number; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
  layerBits: number; // 1 layer III, 2 layer II, 3 layer I
  bitrateIndex: number;
  rateIndex: number;
  padding?: boolean;
  mode: number;
}

export function buildMp3Header(s: Mp3Spec): Uint8Array {
  const w = new BitWriter();
  w.bits(11, 0x7ff).bits(2, s.versionBits).bits(2, s.layerBits).bit(1).bits(4, s.bitrateIndex).bits(2, s.rateIndex);
  w.flag(s.padding ?? false).bit(0).bits(2, s.mode).bits(2, 0).bit(0).bit(1).bits(2, 0);
  return concat(w.finish(), new Uint8Array(8));
}
