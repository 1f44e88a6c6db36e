// One facet of the filter panel: the values of a kind of tag (genres, styles, moods, album
// types, labels) or the decades, as chips with their track counts, in a section that opens and
// closes (a closed one costs no counting: the stats are asked only for the open ones).
//
// The chips keep their order while counts change (no jumping around): the order is the
// library's own, most tracks first (or chronological), from counts without any filter, so a
// filtered address or a search that matches nothing still shows every value, at 0. Selected
// values always show, whatever their count. A kind with thousands of values shows its most
// common ones and a search box that finds the rest (GET /api/library/facets/{kind}).

import { getFacetValues, isAbort } from "../api.js";
import { debounce, h, setText, show } from "../dom.js";
import { formatCount } from "../format.js";
import { withArticle } from "../labels.js";
import { store } from "../state.js";

const SEARCH_LIMIT = 50;
const STATS_LIMIT = 200; // values of a facet in /api/library/stats (the search finds the rest)

/**
 * `filter`: the filter a chip toggles (genre, style, decade…); `facet`: its list in the stats;
 * `kind`: the tag kind to search (none: no search box); `title`, `one` (a value's noun);
 * `limit`: chips shown before "Show all"; `open`: whether it starts open; `onOpen()`: it was
 * opened and needs counts; `onClose()`; `extras`: more controls inside it (the year range
 * beside the decades, the genres to leave out).
 */
export function createFacetGroup({
  filter,
  facet,
  kind,
  id,
  title,
  one,
  limit = 12,
  chronological = false,
  open = false,
  extras = [],
  onOpen,
  onClose,
}) {
  const headingId = `${id}-heading`;
  const bodyId = `${id}-body`;
  const selectedBadge = h("span", { class: "count-badge", hidden: true, "aria-hidden": "true" });
  const selectedText = h("span", { class: "visually-hidden" });
  const toggle = h(
    "button",
    { type: "button", class: "group-toggle", "aria-expanded": String(open), "aria-controls": bodyId },
    h("span", { class: "group-toggle-title" }, title),
    selectedBadge,
    selectedText,
  );
  const chips = h("div", { class: "chips", role: "group", "aria-labelledby": headingId, id: `${id}-chips` });
  const empty = h("p", { class: "muted small", hidden: true });
  const more = h("button", {
    type: "button",
    class: "link-button",
    "aria-expanded": "false",
    "aria-controls": `${id}-chips`,
    hidden: true,
    onclick: () => {
      expanded = !expanded;
      more.setAttribute("aria-expanded", String(expanded));
      layout();
    },
  });
  const search = kind
    ? h("input", {
        type: "search",
        class: "input input-small facet-search",
        placeholder: `Find ${withArticle(one)}…`,
        "aria-label": `Find ${withArticle(one)}`,
        autocomplete: "off",
        spellcheck: "false",
        maxlength: "200",
      })
    : null;
  const body = h("div", { class: "filter-group-body", id: bodyId, hidden: !open }, search, chips, empty, more, extras);
  const element = h(
    "section",
    { class: "filter-group is-collapsible", "aria-labelledby": headingId, dataset: { facet } },
    h("div", { class: "filter-group-head" }, h("h3", { id: headingId }, toggle)),
    body,
  );

  let order = null; // names in the order the chips keep (the library's, unfiltered)
  let counts = new Map(); // under the current filters
  let found = null; // the search's answer: [{name, count}], or null when not searching
  let searchController = null;
  let expanded = false;
  const buttons = new Map(); // name → chip

  toggle.addEventListener("click", () => setOpen(!isOpen()));

  function isOpen() {
    return toggle.getAttribute("aria-expanded") === "true";
  }

  /** `quiet`: opened by the page (a value of it was chosen), which counts it anyway. */
  function setOpen(next, { quiet = false } = {}) {
    if (next === isOpen()) return;
    toggle.setAttribute("aria-expanded", String(next));
    show(body, next);
    if (quiet) return;
    if (next) onOpen?.();
    else onClose?.();
  }

  const query = () => (search ? search.value.trim() : "");

  const runSearch = debounce(async () => {
    searchController?.abort();
    const q = query();
    if (!q) {
      found = null;
      layout();
      return;
    }
    searchController = new AbortController();
    try {
      const body = await getFacetValues(kind, q, store.filters, { limit: SEARCH_LIMIT, signal: searchController.signal });
      if (q !== query()) return;
      found = body.values;
      layout();
    } catch (error) {
      if (isAbort(error)) return;
      found = [];
      layout(`Couldn't search the ${title.toLowerCase()}: ${error.message}`);
    }
  }, 200);

  if (search) {
    search.addEventListener("input", () => runSearch());
    search.addEventListener("keydown", (event) => {
      if (event.key === "Enter") runSearch.flush();
      if (event.key === "Escape" && search.value) {
        event.stopPropagation(); // clears the search, doesn't close the drawer
        search.value = "";
        runSearch.flush();
      }
    });
  }

  function chip(name) {
    let button = buttons.get(name);
    if (!button) {
      const count = h("span", { class: "chip-count" });
      const noun = h("span", { class: "visually-hidden" }, " tracks");
      button = h(
        "button",
        { type: "button", class: "chip", "aria-pressed": "false", dataset: { value: name }, onclick: () => toggleValue(name) },
        h("span", { class: "chip-name" }, name),
        count,
        noun,
      );
      button.countEl = count;
      button.nounEl = noun;
      buttons.set(name, button);
    }
    return button;
  }

  function toggleValue(name) {
    const selected = store.filters[filter];
    const next = selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name];
    store.setFilters({ [filter]: next });
  }

  /** The names to show, in order: a search's matches, or the library's order; selected
   * values always (at the end when the order doesn't have them). */
  function names(selected) {
    const q = query().toLowerCase();
    if (found) {
      const list = found.map((f) => f.name);
      for (const name of selected) if (!list.includes(name) && name.toLowerCase().includes(q)) list.unshift(name);
      return list;
    }
    const list = order ? [...order] : [];
    for (const name of selected) if (!list.includes(name)) list.push(name);
    if (chronological) list.sort();
    return list;
  }

  function layout(problem = "") {
    const selected = new Set(store.filters[filter]);
    const all = names(selected);
    const searching = found !== null;
    const visible = expanded || searching ? all : all.filter((name, i) => i < limit || selected.has(name));
    const current = [...chips.children].map((el) => el.dataset.value);
    if (current.join("\u0000") !== visible.join("\u0000")) chips.replaceChildren(...visible.map(chip));
    const foundCounts = searching ? new Map(found.map((f) => [f.name, f.count])) : null;
    for (const name of visible) {
      const button = chip(name);
      const count = (foundCounts ?? counts).get(name) ?? 0;
      setText(button.countEl, formatCount(count));
      setText(button.nounEl, count === 1 ? " track" : " tracks");
      button.classList.toggle("is-zero", count === 0 && !selected.has(name));
      button.setAttribute("aria-pressed", String(selected.has(name)));
    }
    const emptyText = problem || (searching ? `No ${one} matches “${query()}”.` : `No ${title.toLowerCase()} in the library.`);
    setText(empty, emptyText);
    show(empty, Boolean(problem) || (all.length === 0 && (searching || order !== null)));
    show(more, !searching && all.length > limit);
    const many = title.toLowerCase();
    const cut = (order?.length ?? 0) >= STATS_LIMIT;
    setText(
      more,
      expanded
        ? `Show fewer ${many}`
        : cut
          ? `Show the ${formatCount(all.length)} most common ${many}`
          : `Show all ${formatCount(all.length)} ${many}`,
    );
    const chosen = selected.size;
    setText(selectedBadge, chosen ? String(chosen) : "");
    setText(selectedText, chosen ? ` (${chosen} selected)` : "");
    show(selectedBadge, chosen > 0);
  }

  return {
    element,
    facet,
    filter,
    get open() {
      return isOpen();
    },
    /** Opened by the page (a value of it is selected). */
    setOpen,
    /** Whether its order (the unfiltered counts) is still missing. */
    get needsOrder() {
      return order === null;
    },
    /** Counts under the current filters (a list of the stats). */
    update(values) {
      counts = new Map(values.map((f) => [f.name, f.count]));
      // A value the order lacks (one only live recordings have, say) goes at its end.
      if (order !== null) for (const f of values) if (!order.includes(f.name)) order.push(f.name);
      if (found !== null) runSearch(); // its counts follow the filters too
      layout();
    },
    /** The library's counts without any filter: the chips' order. */
    setOrder(values) {
      order = values.map((f) => f.name);
      layout();
    },
    /** The library changed (a sync): the order comes afresh with the next counts. */
    resetOrder() {
      order = null;
    },
    reflect() {
      layout();
    },
  };
}
