// The first-run sync modal. While a sync fills an empty cache there is nothing to browse, so a
// modal dialog shows its progress ("Syncing your library… 5,000 of 18,432 tracks"), polled every
// second, and closes when the sync completes. If it fails, it says why and offers Retry.

import { announce, h, setText, show } from "../dom.js";
import { formatCount, percent } from "../format.js";
import { openModal } from "../focus.js";
import { store } from "../state.js";
import { isOutdated } from "../sync.js";

const PHASES = {
  connecting: "Connecting to Plex…",
  reading_artists: "Reading artists…",
  reading_albums: "Reading albums…",
  reading_tracks: "Reading tracks…",
  saving: "Saving the library…",
};

export function createSyncModal({ retry, openSettings }) {
  const title = h("h2", { id: "sync-title", class: "modal-title" }, "Syncing your library…");
  const detail = h("p", { id: "sync-detail", class: "sync-count" }, "Connecting to Plex…");
  const bar = h("span", { class: "progress-bar" });
  const progress = h(
    "div",
    {
      class: "progress",
      role: "progressbar",
      "aria-labelledby": "sync-title",
      "aria-valuemin": "0",
      "aria-valuemax": "100",
    },
    bar,
  );
  const phase = h("p", { class: "muted small sync-phase" });
  const note = h("p", { class: "modal-note", hidden: true });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite", id: "sync-live" });
  const error = h("p", { class: "modal-error", role: "alert", hidden: true });
  const retryButton = h("button", { type: "button", class: "btn btn-primary", onclick: onRetry }, "Retry");
  const settingsButton = h(
    "button",
    { type: "button", class: "btn", hidden: true, onclick: () => (dismiss(), openSettings()) },
    "Plex settings",
  );
  const closeButton = h("button", { type: "button", class: "btn btn-quiet", onclick: () => dismiss() }, "Close");
  const actions = h("div", { class: "modal-actions", hidden: true }, retryButton, settingsButton, closeButton);
  const dialog = h(
    "div",
    {
      class: "modal",
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": "sync-title",
      "aria-describedby": "sync-detail",
      tabindex: "-1",
      id: "sync-modal",
    },
    h("div", { class: "modal-mark", "aria-hidden": "true" }),
    title,
    detail,
    progress,
    phase,
    note,
    error,
    actions,
    live,
  );
  const backdrop = h("div", { class: "backdrop backdrop-center", hidden: true }, dialog);
  document.body.append(backdrop);

  let mode = "closed"; // "progress" | "failed" | "closed"
  let close = null;
  let milestone = -1;

  function open(focus) {
    if (!close) {
      close = openModal(backdrop, dialog, {
        onEscape: () => mode === "failed" && dismiss(),
        initialFocus: focus,
      });
    } else if (focus) {
      focus.focus();
    }
  }

  function dismiss() {
    mode = "closed";
    if (close) close();
    close = null;
  }

  function showProgress(status) {
    const wasFailed = mode === "failed";
    if (mode !== "progress") milestone = -1;
    mode = "progress";
    setText(title, "Syncing your library…");
    show(error, false);
    show(actions, false);
    show(progress, true);
    const p = status?.sync_progress;
    const pct = percent(p);
    if (p && p.total) {
      setText(detail, `${formatCount(p.current)} of ${formatCount(p.total)} tracks`);
    } else {
      setText(detail, "Connecting to Plex…");
    }
    setText(phase, status && p?.total ? PHASES[status.phase] || "" : "");
    bar.style.transform = `scaleX(${(pct ?? 0) / 100})`;
    progress.setAttribute("aria-valuenow", String(pct ?? 0));
    const quarter = pct == null ? -1 : Math.floor(pct / 25);
    if (quarter > milestone) {
      milestone = quarter;
      if (quarter > 0) setText(live, `${quarter * 25}% synced`);
    }
    const notice = status?.server_changed;
    setText(note, notice || "");
    show(note, Boolean(notice));
    open(wasFailed ? dialog : undefined);
    if (wasFailed) dialog.focus();
  }

  function showFailure(message) {
    mode = "failed";
    setText(title, "Sync failed");
    setText(detail, "plexcrate could not copy your library from Plex.");
    setText(phase, "");
    show(progress, false);
    setText(error, message);
    show(error, true);
    show(actions, true);
    show(settingsButton, Boolean(store.setup?.editable));
    open(retryButton);
    retryButton.focus();
  }

  async function onRetry() {
    showProgress(null);
    try {
      await retry();
    } catch (problem) {
      showFailure(problem.message);
    }
  }

  store.on("status", ({ status, seq }) => {
    if (!status) return;
    if (!status.is_syncing && (store.syncPending || isOutdated(seq))) return; // asked too early
    const blocking = status.is_syncing && status.track_count === 0;
    if (blocking) {
      showProgress(status);
    } else if (mode === "progress") {
      if (status.is_syncing) {
        // A sync that no longer blocks: the cache holds tracks again (someone else filled it).
        dismiss();
      } else if (status.error) {
        showFailure(status.error);
      } else if (status.synced_at || status.track_count > 0) {
        dismiss();
        announce(`Your library is ready: ${formatCount(status.track_count)} tracks.`);
      }
    } else if (mode === "failed" && status.track_count > 0) {
      dismiss();
    }
  });

  return {
    /** Show the modal at once, before the status confirms the sync (after starting one). */
    starting() {
      showProgress(store.status && store.status.is_syncing ? store.status : null);
    },
    /** The sync could not even start (the request was refused): say why, offer Retry. */
    failed(message) {
      if (mode !== "closed") showFailure(message);
    },
    get open() {
      return mode !== "closed";
    },
  };
}
