/** A frame rate as an exact fraction, so 29.97 stays 30000/1001 through halving and into ffmpeg. */
export interface FrameRate {
  num: number;
  den: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Closest NTSC-style (N × 1000/1001) or integer rate within these tolerances wins over the raw value. */
const NTSC_TOLERANCE = 0.01;
const INTEGER_TOLERANCE = 0.005;

/**
 * Recognises the usual rates in a float (`29.97002997` → 30000/1001, `25` → 25/1); anything
 * else is kept to a millisecond of a frame (e.g. `12.5` → 25/2).
 */
export function frameRateFromNumber(fps: number): FrameRate {
  const rounded = Math.round(fps);
  if (Math.abs(fps - rounded) < INTEGER_TOLERANCE) return { num: rounded, den: 1 };
  const ntsc = fps * 1.001;
  if (Math.abs(ntsc - Math.round(ntsc)) < NTSC_TOLERANCE) return { num: Math.round(ntsc) * 1000, den: 1001 };
  const num = Math.round(fps * 1000);
  const g = gcd(num, 1000);
  return { num: num / g, den: 1000 / g };
}

/** num/den as a number. */
export function frameRateValue(rate: FrameRate): number {
  return rate.num / rate.den;
}

/** `num/den` as ffmpeg and HLS take it. */
export function formatFrameRate(rate: FrameRate): string {
  return `${rate.num}/${rate.den}`;
}

/** Half the rate: every other source frame. */
export function halveFrameRate(rate: FrameRate): FrameRate {
  return rate.num % 2 === 0 ? { num: rate.num / 2, den: rate.den } : { num: rate.num, den: rate.den * 2 };
}

/** Halves `rate` until it is at most `max` fps (halving keeps every output frame on a source frame). */
export function capFrameRate(rate: FrameRate, max: number): FrameRate {
  let out = rate;
  // Small epsilon: 60000/1001 (59.94) fits under 60, and 60/1 fits under a cap of 60.
  while (frameRateValue(out) > max + 1e-9) out = halveFrameRate(out);
  return out;
}
