/**
 * Whether a segment job's update is the one that first published every rendition of its session
 * (the `renditions.ready` moment): the published prefix (segments done or failed in every
 * rendition, from 0) grew from 0 to at least 1. `publishedCountBefore`/`publishedCountAfter` are
 * the prefix just before and just after that job's own update; the prefix only grows, so exactly
 * one update per session crosses 0 → 1 (a duplicate run of that job, after a lost lock, may report
 * it again: deliveries are at least once anyway). A session whose segment 0 became a gap never
 * crosses it this way (the gap, not a job, moved the prefix): it gets `transcode.failed` instead.
 */
export function firstPublish(publishedCountBefore: number, publishedCountAfter: number): boolean {
  return publishedCountBefore < 1 && publishedCountAfter >= 1;
}
