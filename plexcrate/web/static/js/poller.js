// Polls /api/library/status: every second while a sync runs or the app is unreachable, every
// few seconds otherwise, rarely while the tab is hidden. One request at a time.

import { getStatus } from "./api.js";
import { store } from "./state.js";

const FAST = 1000;
const IDLE = 1500;
const HIDDEN = 15000;

let timer = null;
let running = false;
let again = false;
let wantsFast = () => false;
let issued = 0; // status requests sent so far; each answer carries its number

function delay() {
  if (document.hidden) return HIDDEN;
  const status = store.status;
  if (!store.reachable || status?.is_syncing || wantsFast()) return FAST;
  return IDLE;
}

async function tick() {
  clearTimeout(timer);
  if (running) {
    again = true;
    return;
  }
  running = true;
  const seq = ++issued;
  try {
    store.setStatus(await getStatus(), seq);
  } catch {
    store.setUnreachable();
  } finally {
    running = false;
  }
  if (again) {
    again = false;
    tick();
    return;
  }
  timer = setTimeout(tick, delay());
}

/** Start polling; `fast()` may ask for the one-second pace (e.g. while a dialog waits). */
export function startPolling({ initial, fast } = {}) {
  if (fast) wantsFast = fast;
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) pollNow();
  });
  if (initial) {
    store.setStatus(initial);
    timer = setTimeout(tick, delay());
  } else {
    tick();
  }
}

/** The number the next status request will carry: answers below it were asked earlier. */
export function nextSeq() {
  return issued + 1;
}

/** Ask for the status now (after starting a sync, say). */
export function pollNow() {
  tick();
}
