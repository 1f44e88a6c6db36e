// The page's shared state: where the page is (a list or an album's or artist's page), the
// filters, the sort and a shuffle's seed — all mirrored in the address bar, so a reload, a
// bookmark or the back button keeps them — and the last library status. Views subscribe to
// "filters" (the filters or the sort changed), "view" (the page moved) and "status".
//
// A change of filters or sort replaces the current history entry (typing a search is not a
// trail of entries); moving to another view pushes one, so Back returns to where the user was,
// scrolled where it was (each entry keeps its scroll position).

import { isList, pathOfView, sameView, viewFromPath } from "./router.js";
import { allOf, filterConditions } from "./rules.js";
import { RULE, defaultFilters, filterParams, filtersFromParams, sorts } from "./vocabulary.js";

export { activeFilterCount } from "./vocabulary.js";

const MAX_SEED = 2 ** 31 - 1;

/** The filters in an address bar's query string. */
export function filtersFromUrl(search = location.search) {
  return filtersFromParams(new URLSearchParams(search));
}

function sortFromUrl(params) {
  const sort = params.get("sort");
  return sorts().includes(sort) ? sort : "default";
}

function seedFromUrl(params) {
  const seed = Number(params.get("seed"));
  return params.has("seed") && Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED ? seed : null;
}

/** A new shuffle. */
export const newSeed = () => Math.floor(Math.random() * MAX_SEED);

/** The query string of a place: its filters, the sort and a shuffle's seed. */
export function queryOf(filters, sort, seed) {
  const params = filterParams(filters);
  if (sort !== "default") params.set("sort", sort);
  if (sort === "random" && seed != null) params.set("seed", String(seed));
  return params.toString();
}

/**
 * The page's whole choice as one rule (the filters as conditions, ANDed with the address's
 * rule), or null when it restricts nothing; `withFilters: false`: the address's rule alone.
 * What a "Keep as a living playlist" will save.
 */
export function currentRule({ withFilters = true, filters = store.filters } = {}) {
  const extra = filters[RULE] ?? null;
  if (!withFilters) return extra;
  return allOf(...filterConditions(filters).map((x) => x.condition), extra);
}

export function sameFilters(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Store extends EventTarget {
  constructor() {
    super();
    this.filters = {}; // read from the address bar by start(), once the filters are declared
    this.sort = "default";
    this.seed = null; // the shuffle's, when sort is "random" (null: the server picks one)
    this.view = { name: "tracks" }; // or albums, artists; album or artist with an id
    this.lastList = "tracks"; // the list a page was opened from (a search from a page goes there)
    this.status = null;
    this.setup = null; // GET /api/setup, or null without a setup API
    this.reachable = true; // whether the last status request got an answer
    this.screen = "library"; // or "setup"
  }

  /** Read the place, filters and sort from the address bar (after loadVocabulary()), and
   * follow the back and forward buttons from then on. */
  start() {
    history.scrollRestoration = "manual"; // a virtual list's height comes after its data
    this.#read();
    if (isList(this.view)) this.lastList = this.view.name;
    history.replaceState({ ...history.state }, "", this.url());
    window.addEventListener("popstate", () => this.#restore());
    // A reload comes back to where the page was scrolled.
    window.addEventListener("pagehide", () => this.#keepScroll());
  }

  #read() {
    const params = new URLSearchParams(location.search);
    this.filters = filtersFromParams(params);
    this.sort = sortFromUrl(params);
    this.seed = this.sort === "random" ? seedFromUrl(params) : null;
    this.view = viewFromPath(location.pathname);
  }

  #restore() {
    const before = { filters: this.filters, sort: this.sort, seed: this.seed, view: this.view };
    this.#read();
    if (isList(this.view)) this.lastList = this.view.name;
    const queryChanged =
      !sameFilters(before.filters, this.filters) || before.sort !== this.sort || before.seed !== this.seed;
    // "filters" first, so the controls show them; then "view", on which the page loads what
    // it shows (if it differs) and scrolls to where this entry was left.
    if (queryChanged) this.#emit("filters", { filters: this.filters, previous: before.filters, withView: true });
    this.#emit("view", { view: this.view, previous: before.view, scroll: this.savedScroll });
  }

  #keepScroll() {
    history.replaceState({ ...history.state, scroll: window.scrollY }, "", this.url());
  }

  /** Where the page is, as an address (path and query). */
  url(view = this.view) {
    const query = queryOf(this.filters, this.sort, this.seed);
    return `${pathOfView(view)}${query ? `?${query}` : ""}`;
  }

  /** How much the page was scrolled when this history entry was last left (0 for a new one). */
  get savedScroll() {
    return history.state?.scroll ?? 0;
  }

  /** Go to another view: a new history entry (Back returns here, scrolled as it is now).
   * `filters`: a change of filters that comes with the move (one entry for both). */
  navigate(view, { filters = null } = {}) {
    if (sameView(view, this.view) && !filters) return;
    this.#keepScroll();
    const previous = { view: this.view, filters: this.filters };
    this.view = view;
    if (isList(view)) this.lastList = view.name;
    if (filters) this.filters = { ...this.filters, ...filters };
    const depth = (history.state?.depth ?? 0) + 1; // entries of this app before it: Back stays here
    history.pushState({ scroll: 0, depth }, "", this.url());
    if (filters && !sameFilters(previous.filters, this.filters)) {
      this.#emit("filters", { filters: this.filters, previous: previous.filters, withView: true });
    }
    this.#emit("view", { view, previous: previous.view, scroll: 0 });
  }

  /** The seed the server picked for a shuffle the address had none for: kept, so a reload
   * shows the same shuffle. */
  adoptSeed(seed) {
    if (this.sort !== "random" || this.seed === seed) return;
    this.seed = seed;
    this.#replace();
  }

  /** Change some filters; views hear "filters" with the new and previous values (and
   * `withView` when the page moves too: a "view" event follows, on which the page loads). */
  setFilters(patch) {
    const previous = this.filters;
    const next = { ...previous, ...patch };
    if (sameFilters(next, previous)) return;
    this.filters = next;
    this.#replace();
    this.#emit("filters", { filters: next, previous });
  }

  /** Order the lists another way (`seed`: a shuffle's, for "random"); views hear "filters". */
  setSort(sort, seed = null) {
    const nextSeed = sort === "random" ? seed : null;
    if (sort === this.sort && nextSeed === this.seed) return;
    this.sort = sort;
    this.seed = nextSeed;
    this.#replace();
    this.#emit("filters", { filters: this.filters, previous: this.filters });
  }

  /** Back to the defaults; the search too, unless `keepSearch`. */
  resetFilters({ keepSearch = false } = {}) {
    this.setFilters({ ...defaultFilters(), q: keepSearch ? this.filters.q : "" });
  }

  #replace() {
    history.replaceState({ ...history.state }, "", this.url());
  }

  /** A status answer; `seq` numbers the requests, so views can skip answers older than an action. */
  setStatus(status, seq = 0) {
    const previous = this.status;
    this.status = status;
    this.reachable = true;
    this.#emit("status", { status, previous, seq });
  }

  setUnreachable() {
    this.reachable = false;
    this.#emit("status", { status: this.status, previous: this.status, seq: 0 });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  on(type, listener) {
    this.addEventListener(type, (event) => listener(event.detail));
  }
}

export const store = new Store();
