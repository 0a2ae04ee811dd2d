import {
  describeAudioConfig,
  describeAudioFrame,
  describeVideoConfig,
  describeVideoFrame,
  type AudioDescription,
  type VideoDescription,
} from '@headwater/codecs';
import type { AudioTag, ColorInfo, MetadataInfo, VideoTag } from '@headwater/flv';

export interface TrackState<D> {
  readonly trackId: number;
  /** FourCC (`hvc1`, `Opus`, …) or `legacy:<id>` for pre-E-RTMP codecs we only forward. */
  codec: string;
  description: D | undefined;
  /** The latest complete sequence header (a copy: the wire buffer is not ours to keep). */
  config: Uint8Array | undefined;
  frames: number;
  bytes: number;
}

export interface StreamDescription {
  video: TrackState<VideoDescription>[];
  audio: TrackState<AudioDescription>[];
  colorInfo: ColorInfo | undefined;
  metadata: MetadataInfo | undefined;
}

/** Why a codec configuration could not be described (logged; the tag is still archived as is). */
export interface DescribeFailure {
  media: 'video' | 'audio';
  trackId: number;
  codec: string;
  error: unknown;
}

/**
 * Follows the tracks of a publish (E-RTMP multitrack: one entry per media type and track id)
 * and keeps each one's latest codec configuration and description. A repeated SequenceStart
 * replaces the previous one; an empty one (seen in the wild before the real one) is ignored.
 */
export class TrackCatalog {
  private readonly videoTracks = new Map<number, TrackState<VideoDescription>>();
  private readonly audioTracks = new Map<number, TrackState<AudioDescription>>();
  private colorInfo: ColorInfo | undefined;
  private metadata: MetadataInfo | undefined;

  constructor(
    private readonly maxTracks: number,
    private readonly onDescribeFailure: (failure: DescribeFailure) => void = () => undefined,
  ) {}

  onVideo(tag: VideoTag): void {
    if (tag.metadata) this.colorInfo = tag.metadata;
    for (const packet of tag.tracks) {
      const track = this.track(this.videoTracks, packet.trackId, packet.codec);
      switch (packet.packetType) {
        case 'sequence-start':
          if (packet.data.length === 0 || packet.codec.startsWith('legacy:')) break;
          track.config = packet.data.slice();
          track.description = this.describe('video', track, () => describeVideoConfig(packet.codec as VideoDescription['codec'], packet.data));
          break;
        case 'coded-frames':
          track.frames++;
          track.bytes += packet.data.length;
          // VP8/VP9 carry their size only in key frames.
          if (track.description && track.description.width === undefined && tag.frameType === 'key' && (packet.codec === 'vp09' || packet.codec === 'vp08')) {
            const frame = this.describe('video', track, () => describeVideoFrame(packet.codec as VideoDescription['codec'], packet.data));
            if (frame) track.description = { ...track.description, ...frame };
          }
          break;
        default:
          break;
      }
    }
  }

  onAudio(tag: AudioTag): void {
    for (const packet of tag.tracks) {
      const track = this.track(this.audioTracks, packet.trackId, packet.codec);
      switch (packet.packetType) {
        case 'sequence-start':
          if (packet.codec.startsWith('legacy:')) break;
          if (packet.data.length > 0) track.config = packet.data.slice();
          track.description = this.describe('audio', track, () => describeAudioConfig(packet.codec as AudioDescription['codec'], packet.data));
          break;
        case 'multichannel-config':
          if (track.description && packet.multichannel) track.description = { ...track.description, channels: packet.multichannel.channelCount };
          break;
        case 'coded-frames':
          track.frames++;
          track.bytes += packet.data.length;
          // AC-3, E-AC-3 and MP3 have no configuration record: their first frame describes them.
          if ((track.description === undefined || track.description.sampleRate === undefined) && packet.data.length > 0 && !packet.codec.startsWith('legacy:')) {
            const fromFrame = this.describe('audio', track, () => describeAudioFrame(packet.codec as AudioDescription['codec'], packet.data));
            if (fromFrame) track.description = { ...track.description, ...fromFrame };
          }
          break;
        default:
          break;
      }
    }
  }

  /**
   * True once every track of `media` is described (including what only frames tell: VP8/VP9
   * size, AC-3/E-AC-3/MP3 parameters). From then on coded frames need no parsing, only counting.
   */
  settled(media: 'video' | 'audio'): boolean {
    const tracks = media === 'video' ? this.videoTracks : this.audioTracks;
    if (tracks.size === 0) return false;
    for (const t of tracks.values()) {
      const d = t.description as { width?: number; sampleRate?: number } | undefined;
      if (!d || (media === 'video' ? d.width === undefined : d.sampleRate === undefined)) return false;
    }
    return true;
  }

  /** Counts a coded frame of the default track without parsing it (see `settled`). */
  countFrame(media: 'video' | 'audio', bytes: number): void {
    const track = (media === 'video' ? this.videoTracks : this.audioTracks).get(0);
    if (track) {
      track.frames++;
      track.bytes += bytes;
    }
  }

  onMetadata(info: MetadataInfo): void {
    this.metadata = info;
  }

  snapshot(): StreamDescription {
    return {
      video: [...this.videoTracks.values()].map((t) => ({ ...t })),
      audio: [...this.audioTracks.values()].map((t) => ({ ...t })),
      colorInfo: this.colorInfo,
      metadata: this.metadata,
    };
  }

  private track<D>(tracks: Map<number, TrackState<D>>, trackId: number, codec: string): TrackState<D> {
    let track = tracks.get(trackId);
    if (!track) {
      if (this.videoTracks.size + this.audioTracks.size >= this.maxTracks) {
        throw new TrackLimitError(this.maxTracks);
      }
      track = { trackId, codec, description: undefined, config: undefined, frames: 0, bytes: 0 };
      tracks.set(trackId, track);
    } else if (track.codec !== codec) {
      track.codec = codec;
      track.description = undefined;
      track.config = undefined;
    }
    return track;
  }

  private describe<D, R>(media: 'video' | 'audio', track: TrackState<D>, fn: () => R): R | undefined {
    try {
      return fn();
    } catch (error) {
      this.onDescribeFailure({ media, trackId: track.trackId, codec: track.codec, error });
      return undefined;
    }
  }
}

export class TrackLimitError extends Error {
  override readonly name = 'TrackLimitError';
  readonly code = 'limit-exceeded';
  constructor(limit: number) {
    super(`more than ${limit} tracks in one publish`);
  }
}
