// The library browser's data flow: whenever the filters change (or a sync brings a new library),
// fetch the counts (/api/library/stats) and the first page of tracks together, then update the
// chips, the matching count and the list at once. Older requests are aborted, so a fast typist
// never sees results for a search they have already changed.

import { getStats, getTracks, isAbort } from "./api.js";
import { $, h, setText, show } from "./dom.js";
import { plural } from "./format.js";
import { activeFilterCount, store } from "./state.js";
import { createFilters } from "./views/filters.js";
import { PAGE_SIZE, createTrackList } from "./views/tracklist.js";

export function createLibrary({ requestSync, addToPlaylist, openSettings }) {
  const results = $("#results");
  const tracks = $("#tracks");
  const count = $("#match-count");
  const message = $("#results-message");
  const filters = createFilters($("#filters"));
  const list = createTrackList(tracks, {
    // `query`: the filters, the sort and (for a shuffle) its seed, as the first page had them.
    fetchPage: ({ filters, sort, seed }, page, signal) =>
      getTracks(filters, { sort, seed, offset: page * PAGE_SIZE, limit: PAGE_SIZE, signal }).then(
        (body) => body.tracks,
      ),
    onAdd: (track) => addToPlaylist(track),
  });

  let controller = null;
  let loaded = false;
  let lastError = null;

  async function load({ keepPlace = false, reorder = false } = {}) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const { filters: chosen, sort } = store;
    tracks.setAttribute("aria-busy", "true");
    try {
      const [stats, page] = await Promise.all([
        getStats(chosen, { signal }),
        getTracks(chosen, { sort, limit: PAGE_SIZE, signal }),
      ]);
      if (reorder) filters.resetOrder();
      filters.updateStats(stats);
      if (!keepPlace) scrollToTop();
      list.reset({ filters: chosen, sort, seed: page.seed ?? undefined }, page.total, page.tracks);
      if (!loaded) performance.mark("plexcrate:first-render");
      loaded = true;
      lastError = null;
      describe(page.total);
    } catch (error) {
      if (isAbort(error)) return;
      lastError = error;
      describe(null);
    } finally {
      if (!signal.aborted) tracks.removeAttribute("aria-busy");
    }
  }

  function scrollToTop() {
    const top = results.getBoundingClientRect().top;
    const topbar = document.querySelector(".topbar");
    const header = topbar && getComputedStyle(topbar).position === "sticky" ? topbar.offsetHeight : 0;
    if (top < header) window.scrollTo({ top: window.scrollY + top - header });
  }

  /** The matching count above the list, and what to say when the list is empty. */
  function describe(total) {
    const status = store.status;
    const filtered = activeFilterCount(store.filters) > 0 || Boolean(store.filters.q);
    if (total == null) {
      setText(count, loaded ? count.textContent : "Tracks");
      showMessage(`Couldn't load the tracks: ${lastError.message}`, [["Try again", () => load()]]);
      return;
    }
    setText(count, filtered ? `${plural(total, "matching track")}` : plural(total, "track"));
    if (total > 0) {
      showMessage(null);
    } else if (status && status.track_count === 0 && !status.synced_at) {
      if (!status.plex_configured) {
        showMessage("No Plex server is set up yet, so there is no library to show.");
      } else if (status.is_syncing) {
        showMessage("Your library is being synced…");
      } else if (status.plex_connected === false) {
        showUnreachable(status);
      } else {
        showMessage("Your library hasn't been synced yet.", [["Sync now", requestSync]]);
      }
    } else if (status && status.track_count === 0) {
      showMessage("Your Plex music library is empty.");
    } else if (filtered) {
      const searching = Boolean(store.filters.q);
      showMessage(
        searching ? "No tracks match this search and these filters." : "No tracks match these filters.",
        [[searching ? "Clear the search and filters" : "Clear the filters", () => store.resetFilters()]],
      );
    } else {
      showMessage("No tracks to show.");
    }
  }

  /** Plex doesn't answer and there is nothing cached: say where it was asked, what went wrong,
   * and how to fix the address — here, or where it was set (the environment). */
  function showUnreachable(status) {
    const setup = store.setup;
    const fix =
      setup?.source === "env"
        ? "PLEX_URL is set in the environment: change it there (and PLEX_TOKEN, if that is wrong " +
          "too) and restart plexcrate."
        : setup?.source === "demo"
          ? "The demo's simulated Plex server stopped: restart `plexcrate demo`."
          : "If the address is wrong, change it in the Plex server settings.";
    const actions = [["Try again", requestSync]];
    if (setup?.editable) actions.unshift(["Change the Plex server", openSettings]);
    showMessage(
      "Your library hasn't been synced yet: Plex isn't answering.",
      actions,
      [status.plex_error || `Plex at ${setup?.plex_url || "its address"} isn't answering.`, fix],
    );
  }

  /** `actions`: [label, fn] pairs, as buttons; `notes`: lines under the text. */
  function showMessage(text, actions = [], notes = []) {
    if (!text) {
      show(message, false);
      return;
    }
    const key = [text, ...notes, ...actions.map(([label]) => label)].join("|");
    if (message.dataset.key !== key) {
      message.dataset.key = key;
      message.replaceChildren(
        h("p", { class: "results-message-text" }, text),
        ...notes.map((line) => h("p", { class: "results-message-note" }, line)),
        actions.length
          ? h(
              "div",
              { class: "form-actions" },
              actions.map(([label, fn]) => h("button", { type: "button", class: "btn", onclick: () => fn() }, label)),
            )
          : null,
      );
    }
    show(message, true);
  }

  store.on("filters", () => load());
  store.on("status", ({ status, previous }) => {
    if (!status || !previous) return;
    // A new library (a sync ended, or the cache was cleared): load it again where the user is.
    const changed =
      status.synced_at !== previous.synced_at ||
      status.track_count !== previous.track_count ||
      status.server_name !== previous.server_name;
    if (changed) load({ keepPlace: true, reorder: true });
    else if (loaded && list.total === 0) describe(0);
  });

  return {
    load,
    filters,
    /** How many tracks match the filters (null before the first answer). */
    get matching() {
      return loaded ? list.total : null;
    },
  };
}
