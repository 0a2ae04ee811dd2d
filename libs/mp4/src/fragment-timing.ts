import { ByteReader, ProtocolError } from '@headwater/bytes';
import { BoxBudget, childrenOf, findBox, readBoxes } from './box-reader.js';

/** Most samples one fragment file may list (a 60 s segment at 1000 fps); caps hostile counts. */
export const MAX_FRAGMENT_SAMPLES = 60_000;

/** What the fragments (moof + mdat) of one CMAF segment hold for their first track. */
export interface FragmentTiming {
  /** Samples (frames) over every `moof` of the file. */
  readonly samples: number;
  /** Sum of their durations in the track's timescale; null when a fragment does not say. */
  readonly durationTicks: number | null;
}

const TFHD_DEFAULT_SAMPLE_DURATION = 0x08;
const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x02;
const TRUN_DATA_OFFSET = 0x01;
const TRUN_FIRST_SAMPLE_FLAGS = 0x04;
const TRUN_SAMPLE_DURATION = 0x100;
const TRUN_SAMPLE_SIZE = 0x200;
const TRUN_SAMPLE_FLAGS = 0x400;
const TRUN_SAMPLE_CTO = 0x800;

/** tfhd (ISO/IEC 14496-12 §8.8.7): the default sample duration, when the box carries one. */
function defaultDuration(tfhd: Uint8Array): number | null {
  const r = new ByteReader(tfhd);
  const flags = r.u32() & 0xffffff;
  r.skip(4); // track_ID
  if (flags & TFHD_BASE_DATA_OFFSET) r.skip(8);
  if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) r.skip(4);
  return flags & TFHD_DEFAULT_SAMPLE_DURATION ? r.u32() : null;
}

/** trun (§8.8.8): sample count and, if listed, the summed sample durations. */
function trunTiming(trun: Uint8Array, fallbackDuration: number | null): { samples: number; ticks: number | null } {
  const r = new ByteReader(trun);
  const flags = r.u32() & 0xffffff;
  const samples = r.u32();
  if (samples > MAX_FRAGMENT_SAMPLES) throw new ProtocolError('limit-exceeded', `trun lists ${samples} samples (limit ${MAX_FRAGMENT_SAMPLES})`);
  if (flags & TRUN_DATA_OFFSET) r.skip(4);
  if (flags & TRUN_FIRST_SAMPLE_FLAGS) r.skip(4);
  if (!(flags & TRUN_SAMPLE_DURATION)) return { samples, ticks: fallbackDuration === null ? null : fallbackDuration * samples };
  const perSample = [TRUN_SAMPLE_DURATION, TRUN_SAMPLE_SIZE, TRUN_SAMPLE_FLAGS, TRUN_SAMPLE_CTO].filter((f) => flags & f).length * 4;
  // Checked before reading: the count comes from the wire.
  if (r.remaining < samples * perSample) throw new ProtocolError('truncated', `trun of ${samples} samples needs ${samples * perSample} bytes`);
  let ticks = 0;
  for (let i = 0; i < samples; i++) {
    ticks += r.u32();
    r.skip(perSample - 4);
  }
  return { samples, ticks };
}

/**
 * Counts the samples of a CMAF segment's first track and sums their durations, from each
 * `moof/traf` (tfhd defaults, trun entries). The packager turns this into the frame rate it
 * advertises: what the encoder really produced, not what the plan asked for.
 */
export function readFragmentTiming(segment: Uint8Array): FragmentTiming {
  const budget = new BoxBudget();
  let samples = 0;
  let ticks: number | null = 0;
  for (const moof of readBoxes(segment, 0, budget).filter((b) => b.type === 'moof')) {
    const traf = findBox(childrenOf(moof, budget), 'traf');
    if (traf === undefined) continue;
    const children = childrenOf(traf, budget);
    const tfhd = findBox(children, 'tfhd');
    const fallback = tfhd ? defaultDuration(tfhd.payload) : null;
    for (const trun of children.filter((b) => b.type === 'trun')) {
      const t = trunTiming(trun.payload, fallback);
      samples += t.samples;
      if (samples > MAX_FRAGMENT_SAMPLES) throw new ProtocolError('limit-exceeded', `more than ${MAX_FRAGMENT_SAMPLES} samples`);
      ticks = ticks === null || t.ticks === null ? null : ticks + t.ticks;
    }
  }
  return { samples, durationTicks: ticks };
}

/** Frame rates players and encoders name; a measured rate this close to one is reported as it. */
const NOMINAL_RATES = [23.976, 24, 25, 29.97, 30, 48, 50, 59.94, 60, 100, 119.88, 120];

/** Frames per second from a fragment's timing and the track timescale, snapped to a nominal rate within 0.5 %; null if unknown. */
export function fragmentFrameRate(timing: FragmentTiming, timescale: number): number | null {
  if (timing.durationTicks === null || timing.durationTicks <= 0 || timing.samples < 2 || !(timescale > 0)) return null;
  const fps = (timing.samples * timescale) / timing.durationTicks;
  // The closest nominal rate: 29.97 and 30 are only 0.1 % apart, and a segment's last frame
  // duration is the muxer's guess, so the measure alone sits between them.
  const error = (r: number): number => Math.abs(fps - r) / r;
  const nominal = NOMINAL_RATES.reduce((best, r) => (error(r) < error(best) ? r : best));
  return error(nominal) < 0.005 ? nominal : Math.round(fps * 1000) / 1000;
}
