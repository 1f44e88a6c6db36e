// Starting a sync from the page (Refresh, Sync now, Retry, the first run, a stale cache).

import { ApiError, startSync } from "./api.js";
import { nextSeq, pollNow } from "./poller.js";
import { store } from "./state.js";

/**
 * Start a sync and poll at once. "Already in progress" is no failure: the sync runs either way.
 * Until a status asked after the start arrives, `store.syncPending` is true, and earlier answers
 * (which could not know of the sync yet) are marked outdated by `isOutdated(seq)`.
 */
export async function requestSync(options = {}) {
  store.syncPending = true;
  try {
    await startSync(options);
  } catch (error) {
    const running = error instanceof ApiError && error.status === 409 && /in progress/i.test(error.message);
    if (!running) {
      store.syncPending = false;
      throw error;
    }
  }
  store.awaitingSince = nextSeq();
  pollNow();
}

/** Whether a status answer was asked before the page's latest sync started. */
export function isOutdated(seq) {
  return seq > 0 && seq < (store.awaitingSince || 0);
}

store.on("status", ({ seq }) => {
  if (store.syncPending && store.awaitingSince && !isOutdated(seq)) store.syncPending = false;
});
