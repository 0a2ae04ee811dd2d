import path from 'node:path';

// Spool files owned by a SessionArchive of this process, so that recoverArchives() run while
// sessions are live never uploads (and deletes) a spool that is still being written.
const live = new Set<string>();

export function markLive(spoolFile: string): void {
  live.add(path.resolve(spoolFile));
}

export function unmarkLive(spoolFile: string): void {
  live.delete(path.resolve(spoolFile));
}

export function isLive(spoolFile: string): boolean {
  return live.has(path.resolve(spoolFile));
}
