// Display formats for the dashboard: plain functions, no DOM.

const CODEC_NAMES = {
  avc1: 'H.264',
  avc3: 'H.264',
  hvc1: 'HEVC',
  hev1: 'HEVC',
  av01: 'AV1',
  vp09: 'VP9',
  vp08: 'VP8',
  mp4a: 'AAC',
  opus: 'Opus',
  flac: 'FLAC',
  'ac-3': 'AC-3',
  'ec-3': 'E-AC-3',
  '.mp3': 'MP3',
};

/** "H.264 (avc1.64001e)" from a LiveTrack; the FourCC when the name is unknown. */
export function codecLabel(track) {
  const name = CODEC_NAMES[String(track.codec).toLowerCase()] ?? track.codec;
  return track.codecString && track.codecString !== track.codec ? `${name} (${track.codecString})` : name;
}

export function bitrate(bps) {
  if (!Number.isFinite(bps) || bps <= 0) return '–';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(2)} Mb/s` : `${Math.round(bps / 1e3)} kb/s`;
}

export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** H:MM:SS (or M:SS under an hour). */
export function clock(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function dateTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso ?? '–') : d.toLocaleString();
}

export function fps(value) {
  return typeof value === 'number' && Number.isFinite(value) ? value.toFixed(value < 10 ? 1 : 0) : '–';
}
