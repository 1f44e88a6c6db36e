// When the page starts a sync by itself. The server never syncs an empty cache on its own (the
// first sync is the user's to start: opening the page is that), and it checks staleness only at
// start and when Plex comes back; a page left open for days starts the refresh itself.

const STALE_RETRY = 60 * 60 * 1000; // at most one stale refresh an hour from one page

export function newMemory() {
  return { firstRun: false, staleFor: new Set(), staleAt: -Infinity };
}

/**
 * Why the page should start a sync now ("first-run" or "stale"), or null. `memory` records what
 * this page already started, so a sync that fails (or a server whose clock makes every cache
 * look stale) is not started again and again.
 */
export function autoSyncReason(status, memory, now = Date.now()) {
  if (!status || !status.plex_configured || !status.plex_connected || status.is_syncing) return null;
  if (status.track_count === 0 && status.synced_at === null) {
    return memory.firstRun ? null : "first-run";
  }
  if (status.is_stale && !memory.staleFor.has(status.synced_at) && now - memory.staleAt >= STALE_RETRY) {
    return "stale";
  }
  return null;
}

export function remember(memory, reason, status, now = Date.now()) {
  if (reason === "first-run") memory.firstRun = true;
  if (reason === "stale") {
    memory.staleFor.add(status.synced_at);
    memory.staleAt = now;
  }
}
