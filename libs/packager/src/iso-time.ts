/** `YYYY-MM-DDThh:mm:ss.sssZ` (ISO 8601 in UTC), for EXT-X-PROGRAM-DATE-TIME and MPD date-times. */
export function isoDateTime(unixMs: number): string {
  return new Date(unixMs).toISOString();
}

/** `PT<seconds>S` with millisecond precision (xs:duration, as MPD attributes want). */
export function isoDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3)}S`;
}
