// The page's shared state: the track filter (mirrored in the address bar, so a reload or a
// bookmark keeps it) and the last library status. Views subscribe to "filters" and "status".

export const DEFAULT_FILTERS = Object.freeze({
  genre: [],
  decade: [],
  min_rating: 0,
  exclude_live: true,
  q: "",
});

const MAX_RATING = 10;

export function filtersFromUrl(search = location.search) {
  const params = new URLSearchParams(search);
  const rating = Number.parseInt(params.get("min_rating") ?? "0", 10);
  return {
    genre: params.getAll("genre").filter(Boolean),
    decade: params.getAll("decade").filter((d) => /^\d{3}0s$/.test(d)),
    min_rating: Number.isFinite(rating) ? Math.min(MAX_RATING, Math.max(0, rating)) : 0,
    exclude_live: params.get("exclude_live") !== "false",
    q: (params.get("q") ?? "").slice(0, 200),
  };
}

function filtersToUrl(filters) {
  const params = new URLSearchParams();
  for (const genre of filters.genre) params.append("genre", genre);
  for (const decade of filters.decade) params.append("decade", decade);
  if (filters.min_rating) params.set("min_rating", String(filters.min_rating));
  if (!filters.exclude_live) params.set("exclude_live", "false");
  if (filters.q) params.set("q", filters.q);
  const query = params.toString();
  return `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
}

/** How many filters differ from the defaults (the mobile "Filters (2)" badge). */
export function activeFilterCount(filters) {
  return (
    filters.genre.length +
    filters.decade.length +
    (filters.min_rating ? 1 : 0) +
    (filters.exclude_live ? 0 : 1)
  );
}

export function sameFilters(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Store extends EventTarget {
  constructor() {
    super();
    this.filters = filtersFromUrl();
    this.status = null;
    this.setup = null; // GET /api/setup, or null without a setup API
    this.reachable = true; // whether the last status request got an answer
    this.screen = "library"; // or "setup"
  }

  /** Change some filters; views hear "filters" with the new and previous values. */
  setFilters(patch) {
    const previous = this.filters;
    const next = { ...previous, ...patch };
    if (sameFilters(next, previous)) return;
    this.filters = next;
    history.replaceState(null, "", filtersToUrl(next));
    this.dispatchEvent(new CustomEvent("filters", { detail: { filters: next, previous } }));
  }

  /** Back to the defaults; the search too, unless `keepSearch`. */
  resetFilters({ keepSearch = false } = {}) {
    this.setFilters({ ...DEFAULT_FILTERS, q: keepSearch ? this.filters.q : "" });
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
