import { describe, expect, it } from 'vitest';
import { planLadder } from '@headwater/ladder';
import { outputPrefix, sourceSegmentKey } from './s3-keys.js';
import { SEGMENT_JOB_VERSION, SegmentJobError, parseSegmentJob, segmentJobId } from './segment-job.js';
import type { SegmentJob } from './segment-job.js';

const plan = planLadder({ audio: { codec: 'mp4a', codecString: 'mp4a.40.2', sampleRate: 48000, channels: 2, objectType: 2 } });

const job: SegmentJob = {
  version: SEGMENT_JOB_VERSION,
  sessionId: 'sess-1',
  channelId: 'chan_1',
  index: 3,
  startMs: 6000,
  durationMs: 2000,
  isLast: false,
  sourceKey: sourceSegmentKey('chan_1', 'sess-1', 3),
  previousSourceKey: sourceSegmentKey('chan_1', 'sess-1', 2),
  plan,
  outputPrefix: outputPrefix('chan_1', 'sess-1'),
};

describe('SegmentJob', () => {
  it('round-trips through JSON', () => {
    expect(parseSegmentJob(JSON.parse(JSON.stringify(job)))).toEqual(job);
  });

  it('builds keys from ids only', () => {
    expect(job.sourceKey).toBe('sources/chan_1/sess-1/src-3.mkv');
    expect(job.outputPrefix).toBe('streams/chan_1/sess-1/');
    expect(segmentJobId('sess-1', 3)).not.toContain(':');
    expect(() => outputPrefix('../x', 's')).toThrow(SegmentJobError);
    expect(() => sourceSegmentKey('c', 's', -1)).toThrow(SegmentJobError);
  });

  const broken: [string, unknown][] = [
    ['not an object', 'x'],
    ['another version', { ...job, version: 2 }],
    ['a session id with a slash', { ...job, sessionId: 'a/b' }],
    ['a fractional index', { ...job, index: 1.5 }],
    ['a negative duration', { ...job, durationMs: -1 }],
    ['isLast missing', { ...job, isLast: undefined }],
    ['an absolute source key', { ...job, sourceKey: '/etc/passwd' }],
    ['a key climbing out', { ...job, previousSourceKey: 'sources/../x' }],
    ['a prefix without slash', { ...job, outputPrefix: 'streams/x' }],
    ['no plan', { ...job, plan: null }],
    ['a rendition id with a slash', { ...job, plan: { ...plan, video: [{ id: '../x', kind: 'transcode' }] } }],
  ];
  it.each(broken)('refuses %s', (_name, value) => {
    expect(() => parseSegmentJob(value)).toThrow(SegmentJobError);
  });
});
