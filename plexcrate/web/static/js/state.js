// The page's shared state: the track filter (mirrored in the address bar, so a reload or a
// bookmark keeps it) and the last library status. Views subscribe to "filters" and "status".

import { defaultFilters, filterParams, filtersFromParams, sorts } from "./vocabulary.js";

export { activeFilterCount } from "./vocabulary.js";

/** The filters and the sort in an address bar's query string. */
export function filtersFromUrl(search = location.search) {
  return filtersFromParams(new URLSearchParams(search));
}

function sortFromUrl(search = location.search) {
  const sort = new URLSearchParams(search).get("sort");
  return sorts().includes(sort) ? sort : "default";
}

function stateToUrl(filters, sort) {
  const params = filterParams(filters);
  if (sort !== "default") params.set("sort", sort);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
}

export function sameFilters(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Store extends EventTarget {
  constructor() {
    super();
    this.filters = {}; // read from the address bar by start(), once the filters are declared
    this.sort = "default";
    this.status = null;
    this.setup = null; // GET /api/setup, or null without a setup API
    this.reachable = true; // whether the last status request got an answer
    this.screen = "library"; // or "setup"
  }

  /** Read the filters and the sort from the address bar (after loadVocabulary()). */
  start() {
    this.filters = filtersFromUrl();
    this.sort = sortFromUrl();
  }

  /** Change some filters; views hear "filters" with the new and previous values. */
  setFilters(patch) {
    const previous = this.filters;
    const next = { ...previous, ...patch };
    if (sameFilters(next, previous)) return;
    this.filters = next;
    history.replaceState(null, "", stateToUrl(next, this.sort));
    this.dispatchEvent(new CustomEvent("filters", { detail: { filters: next, previous } }));
  }

  /** Order the list another way; views hear "filters" too (the list is fetched again). */
  setSort(sort) {
    if (sort === this.sort) return;
    this.sort = sort;
    history.replaceState(null, "", stateToUrl(this.filters, sort));
    const detail = { filters: this.filters, previous: this.filters };
    this.dispatchEvent(new CustomEvent("filters", { detail }));
  }

  /** Back to the defaults; the search too, unless `keepSearch`. */
  resetFilters({ keepSearch = false } = {}) {
    this.setFilters({ ...defaultFilters(), q: keepSearch ? this.filters.q : "" });
  }

  /** A status answer; `seq` numbers the requests, so views can skip answers older than an action. */
  setStatus(status, seq = 0) {
    const previous = this.status;
    this.status = status;
    this.reachable = true;
    this.dispatchEvent(new CustomEvent("status", { detail: { status, previous, seq } }));
  }

  setUnreachable() {
    this.reachable = false;
    const detail = { status: this.status, previous: this.status, seq: 0 };
    this.dispatchEvent(new CustomEvent("status", { detail }));
  }

  on(type, listener) {
    this.addEventListener(type, (event) => listener(event.detail));
  }
}

export const store = new Store();
