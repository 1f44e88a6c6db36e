// The library browser's data flow. The page shows one of the lists (tracks, albums, artists),
// each a virtual grid over everything the filters match, or an album's or artist's page.
// Whenever the filters or the sort change (or a sync brings a new library), the list's first
// page and the counts of the open filter sections are fetched together, then the chips, the
// count and the list change at once. Older requests are aborted, so a fast typist never sees
// results for a search they have already changed.
//
// The counts are asked only for what is on screen: the open sections of the panel, and none
// while the panel is hidden (a phone's closed drawer, a page). The chips' order comes from the
// library's own counts (without filters), asked once, so a filtered address still shows every
// value.

import { getAlbums, getArtists, getStats, getTracks, isAbort } from "./api.js";
import { $, announce, h, setText, show } from "./dom.js";
import { focusUnlessTyping } from "./focus.js";
import { plural } from "./format.js";
import { RECIPES, isList } from "./router.js";
import { activeFilterCount, queryOf, store } from "./state.js";
import { defaultFilters } from "./vocabulary.js";
import { createActiveFilters } from "./views/activefilters.js";
import { createAlbumGrid, createArtistGrid } from "./views/cards.js";
import { createFilters } from "./views/filters.js";
import { createPages } from "./views/pages.js";
import { createResultsHead } from "./views/resultshead.js";
import { PAGE_SIZE, createTrackList } from "./views/tracklist.js";

const WIDE = "(min-width: 900px)"; // the filters are a column beside the list (else a drawer)
const NOUNS = { tracks: "track", albums: "album", artists: "artist" };
const FIRST_PAGE = { tracks: getTracks, albums: getAlbums, artists: getArtists };
const ITEMS = { tracks: "tracks", albums: "albums", artists: "artists" };

/** `recipes`: the Recipes view ({show, hide}); `onEdit`, `onKeep`: the active filters bar's
 * "Edit as a rule" and "Keep as a living playlist". */
export function createLibrary({ requestSync, addToPlaylist, openSettings, onEdit, onKeep, recipes }) {
  const main = $("#library");
  const results = $("#results");
  const count = $("#match-count");
  const message = $("#results-message");
  const panel = $("#filters");
  const detail = $("#detail");
  const wide = window.matchMedia(WIDE);

  const filterByArtist = (name) => {
    const keep = (store.filters.exclude_artist ?? []).filter((n) => n !== name);
    const patch = { artist: [name], exclude_artist: keep };
    if (isList(store.view)) store.setFilters(patch);
    else store.navigate({ name: "tracks" }, { filters: patch });
    announce(`Showing the tracks of ${name}.`);
  };

  createResultsHead(results);
  createActiveFilters(results, { onEdit, onKeep });
  const filters = createFilters(panel, { onOpen: (facet) => countFacets([facet]) });
  const lists = {
    tracks: createTrackList($("#tracks"), { onAdd: (track) => addToPlaylist([track]), onFilterArtist: filterByArtist }),
    albums: createAlbumGrid($("#albums"), { onFilterArtist: filterByArtist }),
    artists: createArtistGrid($("#artists"), { onFilterArtist: filterByArtist }),
  };
  const containers = { tracks: $("#tracks"), albums: $("#albums"), artists: $("#artists") };
  const pages = createPages(detail, {
    onAdd: (tracks) => addToPlaylist(tracks),
    onFilterArtist: filterByArtist,
    onBack: () => goBack(),
    onTitle: (text) => (document.title = `${text} · plexcrate`),
  });

  let controller = null; // the list's load
  let loading = null; // "list|query" of that load
  let countController = null; // counts asked for apart from a load (a section opened)
  const shownKey = { tracks: null, albums: null, artists: null }; // the query each list shows
  const counted = new Map(); // facet → the query its chips were counted for
  let statsTotal = null; // [query, tracks matching] from the last stats
  let loaded = false;
  let lastError = null;

  const currentKey = () => queryOf(store.filters, store.sort, store.seed);
  const panelShown = () =>
    isList(store.view) && (wide.matches || $("#filters-toggle")?.getAttribute("aria-expanded") === "true");

  /** Show what the address names, loading it if it isn't there yet; `scroll`: where to. */
  function route({ scroll = null, focus = false } = {}) {
    const view = store.view;
    const onList = isList(view);
    const onRecipes = view.name === RECIPES;
    main.classList.toggle("is-page", !onList);
    show(results, onList);
    show(detail, !onList && !onRecipes);
    for (const [name, list] of Object.entries(lists)) {
      const active = name === view.name;
      show(containers[name], active);
      list.setActive(active);
    }
    if (onRecipes) {
      abortLoad();
      show(message, false);
      recipes.show({ focus });
      window.scrollTo(0, scroll ?? 0);
      return;
    }
    recipes?.hide();
    if (!onList) {
      abortLoad();
      show(message, false);
      pages.show(view, { focus });
      window.scrollTo(0, scroll ?? 0);
      return;
    }
    document.title = view.name === "tracks" ? "plexcrate" : `${view.name[0].toUpperCase()}${view.name.slice(1)} · plexcrate`;
    if (loading === `${view.name}|${currentKey()}`) return; // on its way
    if (shownKey[view.name] === currentKey()) {
      abortLoad(); // another list's
      describe(lists[view.name].total);
      if (scroll != null) window.scrollTo(0, scroll);
      countFacets(filters.openFacets());
      if (focus) containers[view.name].focus({ preventScroll: true });
    } else {
      load({ scrollTo: scroll, focus });
    }
  }

  function abortLoad() {
    controller?.abort();
    controller = null;
    loading = null;
  }

  function goBack() {
    if ((history.state?.depth ?? 0) > 0) history.back();
    else store.navigate({ name: store.lastList });
  }

  async function load({ keepPlace = false, reorder = false, scrollTo = null, focus = false } = {}) {
    const name = store.view.name;
    if (!isList(store.view)) return;
    controller?.abort();
    countController?.abort();
    controller = new AbortController();
    const { signal } = controller;
    const chosen = store.filters;
    const { sort, seed } = store;
    loading = `${name}|${currentKey()}`;
    const container = containers[name];
    if (reorder) filters.resetOrder();
    container.setAttribute("aria-busy", "true");
    try {
      const [page] = await Promise.all([
        FIRST_PAGE[name](chosen, { sort, seed, limit: PAGE_SIZE, signal }),
        countFacets(panelShown() ? filters.openFacets() : [], { signal, force: true }),
      ]);
      if (sort === "random" && seed == null && page.seed != null) store.adoptSeed(page.seed);
      if (scrollTo == null && !keepPlace) scrollToTop();
      shownKey[name] = currentKey();
      lists[name].reset({ filters: chosen, sort, seed: page.seed ?? undefined }, page.total, page[ITEMS[name]]);
      if (scrollTo != null) window.scrollTo(0, scrollTo);
      if (focus) focusUnlessTyping(container);
      if (!loaded) performance.mark("plexcrate:first-render");
      loaded = true;
      lastError = null;
      describe(page.total);
    } catch (error) {
      if (isAbort(error)) return;
      lastError = error;
      describe(null);
    } finally {
      if (!signal.aborted) {
        container.removeAttribute("aria-busy");
        controller = null;
        loading = null;
      }
    }
  }

  /**
   * Count the chips of `facets` for the current filters (those already counted for them are
   * skipped unless `force`), and the library's own counts for any without their order yet.
   */
  async function countFacets(facets, { signal, force = false } = {}) {
    const key = queryOf(store.filters, "default", null);
    const wanted = facets.filter((facet) => force || counted.get(facet) !== key);
    if (!wanted.length || !panelShown()) return;
    const chosen = store.filters;
    const unfiltered = queryOf(defaultFilters(), "default", null) === key;
    const needOrder = filters.facetsWithoutOrder(wanted);
    const apart = !signal; // not part of a load, which would report a failure
    if (apart) {
      countController?.abort();
      countController = new AbortController();
      signal = countController.signal;
    }
    try {
      const [stats, base] = await Promise.all([
        getStats(chosen, { facets: wanted, signal }),
        needOrder.length && !unfiltered ? getStats(defaultFilters(), { facets: needOrder, signal }) : null,
      ]);
      if (needOrder.length) filters.setOrder(base ?? stats, needOrder);
      filters.updateStats(stats, wanted);
      for (const facet of wanted) counted.set(facet, key);
      statsTotal = [key, stats.total_tracks];
    } catch (error) {
      if (!apart) throw error;
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
    const name = store.view.name;
    const noun = NOUNS[name] ?? "track";
    const filtered = activeFilterCount(store.filters) > 0 || Boolean(store.filters.q);
    if (total == null) {
      setText(count, loaded ? count.textContent : "Tracks");
      showMessage(`Couldn't load the ${noun}s: ${lastError.message}`, [["Try again", () => load()]]);
      return;
    }
    setText(count, filtered ? `${plural(total, `matching ${noun}`)}` : plural(total, noun));
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
        searching ? `No ${noun}s match this search and these filters.` : `No ${noun}s match these filters.`,
        [[searching ? "Clear the search and filters" : "Clear the filters", () => store.resetFilters()]],
      );
    } else {
      showMessage(`No ${noun}s to show.`);
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

  store.on("filters", ({ withView }) => {
    if (withView) return; // the "view" that follows loads what the address names
    // A search typed on an album's page: its answers are in the list the page was opened from.
    if (!isList(store.view)) store.navigate({ name: store.lastList });
    else load();
  });
  // The focus follows a move to a page (its heading), and back from one (the list): what had
  // it is gone. Between lists it stays on the tab that was clicked, and in the search box while
  // one types there (a search typed on a page goes to the list).
  store.on("view", ({ scroll, view, previous }) => {
    const typing = document.activeElement?.id === "search";
    route({ scroll, focus: !typing && (!isList(view) || !isList(previous)) });
  });
  store.on("status", ({ status, previous }) => {
    if (!status) return;
    if (status.machine_identifier !== previous?.machine_identifier) {
      for (const list of Object.values(lists)) list.refresh(status.machine_identifier || "");
      pages.updateLinks();
    }
    if (!previous) return;
    // A new library (a sync ended, or the cache was cleared): load it again where the user is.
    const changed =
      status.synced_at !== previous.synced_at ||
      status.track_count !== previous.track_count ||
      status.server_name !== previous.server_name;
    if (changed) {
      for (const name of Object.keys(shownKey)) shownKey[name] = null;
      counted.clear();
      pages.forget();
      if (isList(store.view)) load({ keepPlace: true, reorder: true });
      else if (store.view.name !== RECIPES) pages.show(store.view);
    } else if (loaded && isList(store.view) && lists[store.view.name].total === 0) {
      describe(0);
    }
  });
  // The panel came into sight (a drawer opened, a screen got wider): count what it shows.
  wide.addEventListener("change", () => countFacets(filters.openFacets()));

  return {
    /** Show the place the address names (at start). */
    start: () => route({ scroll: store.savedScroll || null }),
    filters,
    /** Count the open sections, if not yet for these filters (the drawer opened). */
    refreshCounts: () => countFacets(filters.openFacets()),
    /** How many tracks match the filters (null when not known yet). */
    get matching() {
      const key = currentKey();
      if (shownKey.tracks === key) return lists.tracks.total;
      const filtersKey = queryOf(store.filters, "default", null);
      return statsTotal && statsTotal[0] === filtersKey ? statsTotal[1] : null;
    },
  };
}
