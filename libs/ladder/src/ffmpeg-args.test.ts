import { describe, expect, it } from 'vitest';
import { FfmpegArgsError, ffmpegArgsForSegment, planRenditionIds, segmentOutputs } from './ffmpeg-args.js';
import type { SegmentIo } from './ffmpeg-args.js';
import { planLadder } from './ladder-planner.js';
import type { LadderSource } from './ladder-plan.js';

const source: LadderSource = {
  video: { codec: 'avc1', codecString: 'avc1.64001e', width: 640, height: 360, frameRate: 30, bitrateBps: 1_000_000 },
  audio: { codec: 'Opus', codecString: 'opus', sampleRate: 48000, channels: 2 },
};
const io: SegmentIo = { input: '/in/seg-1.mkv', outputDir: '/out', segmentIndex: 1, startMs: 2000, durationMs: 2000 };

/** Values following each occurrence of `flag`. */
const valuesOf = (args: readonly string[], flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
const valueOf = (args: readonly string[], flag: string): string => valuesOf(args, flag)[0] ?? '';

describe('ffmpegArgsForSegment', () => {
  it('decodes once, copies from a second demuxer, and writes one HLS/fMP4 output per rendition', () => {
    const plan = planLadder(source);
    const args = ffmpegArgsForSegment(plan, 'all', io);
    expect(planRenditionIds(plan)).toEqual(['source', '360p', '160p', 'audio']);
    // Input 0 feeds copies, input 1 the decoders (FFmpeg 5.1 invents dts for a stream both decoded and copied).
    expect(valuesOf(args, '-i')).toEqual(['/in/seg-1.mkv', '/in/seg-1.mkv']);
    expect(args.slice(0, 8)).toEqual(['-hide_banner', '-nostdin', '-nostats', '-y', '-loglevel', 'error', '-copyts', '-i']);
    const graph = valueOf(args, '-filter_complex');
    expect(graph).toContain('[1:v:0]trim=end=4,split=2[s0_0][s0_1]'); // trim: an open-GOP file's trailing key frame belongs to the next segment
    // Same frame rate as the source: no fps filter, frames keep their source times (aligned with the passthrough).
    expect(graph).toContain('[s0_0]scale=640:360:flags=bicubic,setsar=1,format=yuv420p[v0]');
    expect(graph).toContain('[s0_1]scale=284:160:flags=bicubic,setsar=1,format=yuv420p[v1]');
    // Opus → AAC on the session frame grid: starts 8 frames early, drops what is outside the window.
    expect(graph).toContain('[1:a:0]atrim=start=1.678,aresample=48000:async=1:min_hard_comp=0.005:first_pts=82944,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo[aout]');
    expect(valueOf(args, '-bsf:a')).toBe('noise=drop=lt(pts\\,90624)+gte(pts\\,185856)');
    expect(valuesOf(args, '-map')).toEqual(['0:v:0', '[v0]', '[v1]', '[aout]']);
    expect(valuesOf(args, '-c:v')).toEqual(['copy', 'libx264', 'libx264']);
    expect(valuesOf(args, '-level:v')).toEqual(['3', '1.2']);
    expect(valuesOf(args, '-b:v')).toEqual(['800000', '300000']);
    expect(valuesOf(args, '-g')).toEqual(['60', '60']);
    expect(valuesOf(args, '-force_key_frames')).toEqual(['expr:eq(n,0)', 'expr:eq(n,0)']);
    expect(valuesOf(args, '-f')).toEqual(['hls', 'hls', 'hls', 'hls']);
    expect(valuesOf(args, '-start_number')).toEqual(['1', '1', '1', '1']);
    expect(valuesOf(args, '-avoid_negative_ts')).toEqual(['disabled', 'disabled', 'disabled', 'disabled']);
    expect(valuesOf(args, '-hls_segment_filename')).toEqual(['/out/source/seg-%d.m4s', '/out/360p/seg-%d.m4s', '/out/160p/seg-%d.m4s', '/out/audio/seg-%d.m4s']);
    expect(valueOf(args, '-hls_segment_options')).toContain('frag_discont');
    // Each output ends with its by-product playlist, in the rendition's directory.
    const outs = segmentOutputs(planRenditionIds(plan), '/out', 1);
    expect(outs.map((o) => args.indexOf(o.muxerPlaylist) > 0)).toEqual([true, true, true, true]);
    expect(outs[1]).toEqual({ renditionId: '360p', dir: '/out/360p', init: '/out/360p/init.mp4', segment: '/out/360p/seg-1.m4s', muxerPlaylist: '/out/360p/ffmpeg-1.m3u8' });
    expect(args.at(-1)).toBe('/out/audio/ffmpeg-1.m3u8');
  });

  it('copies AAC from the copy demuxer, and opens no decoder when nothing is transcoded', () => {
    const plan = planLadder({ ...source, audio: { codec: 'mp4a', codecString: 'mp4a.40.2', objectType: 2 } });
    const args = ffmpegArgsForSegment(plan, ['source', 'audio'], io);
    expect(valuesOf(args, '-i')).toEqual(['/in/seg-1.mkv']);
    expect(args).not.toContain('-filter_complex');
    expect(valuesOf(args, '-map')).toEqual(['0:v:0', '0:a:0']);
    expect(valuesOf(args, '-c:a')).toEqual(['copy']);
    expect(args).not.toContain('-bsf:a');
  });

  it('chains the previous segment in front of this one for transcoded audio', () => {
    const plan = planLadder(source);
    const args = ffmpegArgsForSegment(plan, ['audio'], { ...io, input: "/in/it's.mkv", previous: { input: '/in/seg-0.mkv' } });
    const url = valuesOf(args, '-i').at(-1) ?? '';
    expect(url.startsWith('data:text/plain;base64,')).toBe(true);
    const script = atob(url.slice('data:text/plain;base64,'.length));
    expect(script).toBe("ffconcat version 1.0\nfile 'file:/in/seg-0.mkv'\ninpoint 0\nduration 0\nfile 'file:/in/it'\\''s.mkv'\ninpoint 0\n");
    expect(args.slice(args.indexOf(url) - 5, args.indexOf(url))).toEqual(['-f', 'concat', '-safe', '0', '-i']);
    expect(valueOf(args, '-filter_complex')).toMatch(/^\[0:a:0\]atrim/);
  });

  it('moves inputs to the session clock with -itsoffset, one per clock', () => {
    const plan = planLadder(source);
    const args = ffmpegArgsForSegment(plan, ['360p', 'audio'], { ...io, inputOffsetMs: 2000, previous: { input: '/in/seg-0.mkv', offsetMs: 0 } });
    expect(valuesOf(args, '-itsoffset')).toEqual(['2']);
    const script = atob((valuesOf(args, '-i').at(-1) ?? '').split(',')[1] ?? '');
    // The current file is placed 2 s after the previous one's clock.
    expect(script).toContain('duration 2\n');
    expect(() => ffmpegArgsForSegment(plan, ['audio'], { ...io, inputOffsetMs: 0, previous: { input: '/in/seg-0.mkv', offsetMs: 2000 } })).toThrow(/must not exceed/);
  });

  it('passes thread limits to decoders, the filter graph and encoders', () => {
    const plan = planLadder(source, { videoCodec: 'hevc' });
    const args = ffmpegArgsForSegment(plan, ['360p', 'audio'], { ...io, threads: 1 });
    expect(valueOf(args, '-filter_complex_threads')).toBe('1');
    expect(args[args.indexOf('-i') - 2]).toBe('-threads');
    expect(valueOf(args, '-x265-params')).toBe('log-level=error:scenecut=0:open-gop=0:level-idc=2.1:pools=1:frame-threads=1');
    expect(valuesOf(args, '-threads').length).toBe(3);
    expect(valueOf(args, '-tag:v')).toBe('hvc1');
  });

  it('tags copied HEVC hvc1 and maps extra tracks by stream index', () => {
    const plan = planLadder({
      video: { codec: 'hvc1', codecString: 'hvc1.1.6.L120.B0', width: 1920, height: 1080, frameRate: 60 },
      extraVideoTracks: [{ trackId: 1, description: { codec: 'avc1', codecString: 'avc1.64001f', width: 1280, height: 720, frameRate: 30 } }],
    });
    const args = ffmpegArgsForSegment(plan, ['source', 'source-t1'], io);
    expect(valuesOf(args, '-map')).toEqual(['0:v:0', '0:v:1']);
    expect(valuesOf(args, '-tag:v')).toEqual(['hvc1']);
  });

  it('tone-maps HDR once at the largest size before splitting', () => {
    const plan = planLadder({ video: { codec: 'hvc1', codecString: 'hvc1.2.4.L153.B0', width: 3840, height: 2160, frameRate: 30, bitDepth: 10, hdr: 'pq' } });
    const args = ffmpegArgsForSegment(plan, ['1080p', '720p'], io);
    expect(valueOf(args, '-filter_complex')).toMatch(/^\[0:v:0\]trim=end=4,scale=1920:1080:flags=bicubic,zscale=tin=smpte2084:pin=bt2020:min=bt2020nc:t=linear:npl=100,.*tonemap=tonemap=hable.*,split=2\[s0_0\]\[s0_1\];/);
    expect(valuesOf(args, '-color_trc')).toEqual(['bt709', 'bt709']);
  });

  it('keeps HDR in HEVC Main 10', () => {
    const plan = planLadder({ video: { codec: 'hvc1', codecString: 'hvc1.2.4.L153.B0', width: 3840, height: 2160, frameRate: 30, bitDepth: 10, hdr: 'hlg' } }, { videoCodec: 'hevc' });
    const args = ffmpegArgsForSegment(plan, ['1080p'], io);
    expect(valueOf(args, '-filter_complex')).toBe('[0:v:0]trim=end=4,scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p10le[v0]');
    expect(valueOf(args, '-profile:v')).toBe('main10');
    expect(valueOf(args, '-color_trc')).toBe('arib-std-b67');
  });

  it('re-times frames only where a rung lowers the frame rate (60 → 30 at 480p and below)', () => {
    const plan = planLadder({ video: { codec: 'avc1', codecString: 'avc1.64002a', width: 1920, height: 1080, frameRate: 60, bitrateBps: 8_000_000 } });
    const graph = valueOf(plan.video.length > 0 ? ffmpegArgsForSegment(plan, 'all', io) : [], '-filter_complex') ?? '';
    const converts = (id: string) => {
      const r = plan.video.find((v) => v.id === id);
      return r?.kind === 'transcode' ? r.convertsFrameRate : undefined;
    };
    expect(converts('720p60')).toBe(false);
    expect(converts('480p')).toBe(true);
    expect(graph).toMatch(/fps=30\/1,scale=854:480/);
    expect(graph).not.toMatch(/fps=60/);
  });

  it('escapes % in the segment file pattern', () => {
    const args = ffmpegArgsForSegment(planLadder(source), ['360p'], { ...io, outputDir: '/tmp/100%/x/' });
    expect(valueOf(args, '-hls_segment_filename')).toBe('/tmp/100%%/x/360p/seg-%d.m4s');
    expect(args.at(-1)).toBe('/tmp/100%/x/360p/ffmpeg-1.m3u8');
  });

  it.each<[string, () => unknown, RegExp]>([
    ['unknown rendition', () => ffmpegArgsForSegment(planLadder(source), ['4k'], io), /"4k" is not in the plan/],
    ['empty selection', () => ffmpegArgsForSegment(planLadder(source), [], io), /no rendition/],
    ['duplicate selection', () => ffmpegArgsForSegment(planLadder(source), ['360p', '360p'], io), /twice/],
    ['negative index', () => ffmpegArgsForSegment(planLadder(source), 'all', { ...io, segmentIndex: -1 }), /segmentIndex/],
    ['bad start', () => ffmpegArgsForSegment(planLadder(source), 'all', { ...io, startMs: Number.NaN }), /startMs/],
    ['threads 0', () => ffmpegArgsForSegment(planLadder(source), 'all', { ...io, threads: 0 }), /threads/],
    ['empty input', () => ffmpegArgsForSegment(planLadder(source), 'all', { ...io, input: '' }), /input must be/],
    ['relative concat path', () => ffmpegArgsForSegment(planLadder(source), ['audio'], { ...io, previous: { input: 'seg-0.mkv' } }), /absolute/],
    ['no duration for audio', () => ffmpegArgsForSegment(planLadder(source), ['audio'], { ...io, durationMs: undefined }), /durationMs is required/],
  ])('rejects %s', (_name, run, message) => {
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as Error).name).toMatch(/FfmpegArgsError|AudioWindowError/);
    }
    expect(FfmpegArgsError).toBeDefined();
  });
});
