import type { LadderPlan } from '@headwater/ladder';
import type { RenditionSpec } from '@headwater/packager';

/** Assumed when the source did not say (the planner then passes timing through). */
const FALLBACK_FRAME_RATE = 30;
const FALLBACK_SAMPLE_RATE_HZ = 48_000;
const FALLBACK_CHANNELS = 2;

/**
 * The packager's description of a plan's renditions, in ladder order (highest video bitrate
 * first: the variant players start with), audio last. Codec strings and bitrates are the plan's
 * predictions; the playlists advertise measured bandwidths once segments are done.
 */
export function renditionSpecs(plan: LadderPlan): RenditionSpec[] {
  const video: RenditionSpec[] = plan.video.map((r) => ({
    kind: 'video',
    id: r.id,
    codecs: r.codecString,
    width: r.width,
    height: r.height,
    frameRate: r.frameRate ?? FALLBACK_FRAME_RATE,
    nominalBitrate: r.bitrateBps,
  }));
  const audio: RenditionSpec[] = plan.audio
    ? [
        {
          kind: 'audio',
          id: plan.audio.id,
          codecs: plan.audio.codecString,
          sampleRateHz: plan.audio.sampleRate ?? FALLBACK_SAMPLE_RATE_HZ,
          channels: plan.audio.channels ?? FALLBACK_CHANNELS,
          nominalBitrate: plan.audio.bitrateBps,
        },
      ]
    : [];
  return [...video, ...audio];
}
