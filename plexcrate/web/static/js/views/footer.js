// The status bar, always at the bottom: how many tracks, when they were synced, and the one
// action that fits ("Refresh", "Sync now", "Retry", or "Sync anyway" when a sync that would have
// removed most tracks was held back); "Syncing… 42%" while a sync runs; a warning when Plex is
// offline; the notices the server sends (e.g. that the Plex server changed).

import { announce, h, setText, show } from "../dom.js";
import { formatCount, percent, plural, relativeTime } from "../format.js";
import { store } from "../state.js";
import { requestSync } from "../sync.js";

const ACTIONS = {
  refresh: "Refresh",
  sync: "Sync now",
  retry: "Retry",
  confirm: "Sync anyway",
  setup: "Set up Plex",
};

/**
 * What the status bar says for `status` (pure, so it can be checked on its own):
 * `{ kind, parts: [text…], action, tone, detail, progress, offline }`.
 */
export function footerModel(status, options = {}) {
  const { reachable = true, pending = false, offline = false, editable = false, now = Date.now() } = options;
  if (!reachable) {
    return { kind: "unreachable", parts: ["plexcrate is not answering", "retrying…"], action: null, tone: "error" };
  }
  if (!status) return { kind: "loading", parts: ["Loading…"], action: null, tone: "" };
  const count = status.track_count > 0 ? [plural(status.track_count, "track")] : [];
  const synced = status.synced_at ? `Synced ${relativeTime(status.synced_at, now)}` : null;
  const model = { detail: "", progress: null, offline: null, tone: "" };
  if (status.plex_configured && offline) {
    model.offline = status.track_count > 0 ? "Plex offline — showing cached library" : "Plex offline";
  }
  if (!status.plex_configured) {
    return {
      ...model,
      kind: "unconfigured",
      parts: count.length ? [...count, synced || "Not synced"] : ["No Plex server set up"],
      action: editable ? "setup" : null,
    };
  }
  if (status.is_syncing) {
    const pct = percent(status.sync_progress);
    return {
      ...model,
      kind: "syncing",
      parts: [...count, pct == null ? "Syncing…" : `Syncing… ${pct}%`],
      action: null,
      progress: pct ?? 0,
    };
  }
  if (pending) return { ...model, kind: "starting", parts: [...count, "Starting sync…"], action: null };
  if (status.error) {
    if (status.shrink_refused) {
      const parts = [...count, "Sync held back"];
      return { ...model, kind: "held", parts, action: "confirm", tone: "error", detail: status.error };
    }
    const parts = [...count, "Sync failed"];
    return { ...model, kind: "failed", parts, action: "retry", tone: "error", detail: status.error };
  }
  if (!status.synced_at) return { ...model, kind: "unsynced", parts: ["Not synced"], action: "sync" };
  return {
    ...model,
    kind: "synced",
    // Whose plays and ratings these are, when signed in with Plex.
    parts: [count.length ? count[0] : "No tracks", synced, ...(status.plex_account ? [`Plex: ${status.plex_account}`] : [])],
    action: "refresh",
    tone: status.is_stale ? "stale" : "",
  };
}

export function createFooter(root, { openSettings }) {
  const notices = h("div", { class: "statusbar-notices" });
  const text = h("span", { class: "status-text" });
  const action = h("button", { type: "button", class: "link-button status-action", hidden: true, onclick: onAction });
  const actionSep = h("span", { class: "sep", "aria-hidden": "true" });
  const line = h("p", { class: "status-line", tabindex: "-1", id: "status-line" }, text, actionSep, action);
  const detail = h("p", { class: "status-detail", hidden: true });
  const offlineChip = h("p", { class: "offline-chip", hidden: true });
  const bar = h("span", { class: "statusbar-progress-bar" });
  const progress = h("div", { class: "statusbar-progress", hidden: true, "aria-hidden": "true" }, bar);
  root.append(
    progress,
    notices,
    h("div", { class: "statusbar-row" }, line, detail, offlineChip),
  );

  let model = null;
  let actionKind = null;
  let startError = "";

  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--footer-h", `${root.offsetHeight}px`);
  }).observe(root);

  async function onAction() {
    if (actionKind === "setup") {
      openSettings();
      return;
    }
    startError = "";
    render();
    try {
      await requestSync(actionKind === "confirm" ? { allowShrink: true } : {});
    } catch (error) {
      startError = `Could not start a sync: ${error.message}`;
    }
    render();
  }

  function render() {
    const status = store.status;
    const next = footerModel(status, {
      reachable: store.reachable,
      pending: Boolean(store.syncPending),
      // null: the first probe hasn't answered yet, which is not the same as offline.
      offline: Boolean(status && status.plex_connected === false),
      editable: Boolean(store.setup?.editable) && store.screen !== "setup",
    });
    if (startError && next.kind !== "syncing" && next.kind !== "starting") next.detail = startError;
    announceChange(model, next, status);
    model = next;

    const joined = next.parts.join(" · ");
    if (text.textContent !== joined) {
      // "18,432 tracks · Synced 2 hours ago": the last part is the state, and carries the tone.
      text.replaceChildren(
        ...next.parts.flatMap((part, i) => [
          i ? h("span", { class: "sep", "aria-hidden": "true" }, " · ") : null,
          h("span", { class: i === next.parts.length - 1 ? "status-state" : "" }, part),
        ]).filter(Boolean),
      );
    }
    line.className = `status-line${next.tone ? ` is-${next.tone}` : ""}`;
    actionKind = next.action;
    if (next.action) {
      setText(action, ACTIONS[next.action]);
    } else {
      if (document.activeElement === action) line.focus(); // keep the keyboard user's place
      setText(action, "");
    }
    show(action, Boolean(next.action));
    setText(actionSep, next.action ? " · " : "");
    setText(detail, next.detail || "");
    detail.title = next.detail || "";
    show(detail, Boolean(next.detail));
    setText(offlineChip, next.offline || "");
    show(offlineChip, Boolean(next.offline));
    show(progress, next.progress != null);
    if (next.progress != null) bar.style.transform = `scaleX(${next.progress / 100})`;
    renderNotices(status);
  }

  function announceChange(before, after, status) {
    if (!before || before.kind === "loading") return;
    if (before.kind !== after.kind) {
      if (after.kind === "syncing" && status.track_count > 0) announce("Sync started.");
      if (after.kind === "synced" && before.kind === "syncing" && status.track_count > 0) {
        announce(`Sync finished: ${formatCount(status.track_count)} tracks.`);
      }
      if (after.kind === "failed" || after.kind === "held") announce(`Sync failed: ${status.error}`);
      if (after.kind === "unreachable") announce("plexcrate is not answering.");
    }
    if (Boolean(before.offline) !== Boolean(after.offline)) {
      announce(after.offline ? `${after.offline}.` : "Plex is back online.");
    }
  }

  const dismissed = new Set(JSON.parse(sessionStorage.getItem("plexcrate.dismissed") || "[]"));

  function renderNotices(status) {
    const texts = [status?.server_changed, status?.notice].filter((t) => t && !dismissed.has(t));
    const current = [...notices.children].map((el) => el.dataset.text);
    if (current.join("\n") === texts.join("\n")) return;
    notices.replaceChildren(
      ...texts.map((t) =>
        h(
          "div",
          { class: "notice", role: "status", dataset: { text: t } },
          h("p", {}, t),
          h(
            "button",
            {
              type: "button",
              class: "icon-button",
              "aria-label": "Dismiss this notice",
              onclick: () => {
                dismissed.add(t);
                sessionStorage.setItem("plexcrate.dismissed", JSON.stringify([...dismissed]));
                line.focus();
                renderNotices(store.status);
              },
            },
            "×",
          ),
        ),
      ),
    );
  }

  store.on("status", () => render());
  // Relative times move on even when nothing else does.
  setInterval(() => model && model.kind === "synced" && render(), 20000);
  render();
  return { render };
}
