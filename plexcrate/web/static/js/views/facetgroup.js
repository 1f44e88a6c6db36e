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
import { conditionValue, withCondition } from "../rules.js";
import { store } from "../state.js";
import { RULE } from "../vocabulary.js";

const SEARCH_LIMIT = 50;
const MODES = [
  ["any", "Any of"],
  ["all", "All of"],
  ["none", "None of"],
];
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
  modes = false,
  excludeFilter = null,
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
  // Any of / All of / None of: what a chip's click chooses (a kind of tag's values combine
  // either way, and any may be left out).
  let mode = "any";
  const modeInputs = modes
    ? MODES.map(([value, label]) =>
        h("input", { type: "radio", name: `${id}-mode`, id: `${id}-mode-${value}`, value, checked: value === "any", onchange: () => setMode(value) }),
      )
    : [];
  const modeControl = modes
    ? h(
        "div",
        { class: "field-group segmented facet-mode", role: "radiogroup", "aria-label": `${title}: match` },
        modeInputs.map((input, i) => h("span", { class: "segment" }, input, h("label", { for: input.id }, MODES[i][1]))),
      )
    : null;
  const body = h("div", { class: "filter-group-body", id: bodyId, hidden: !open }, modeControl, search, chips, empty, more, extras);
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
      button.stateEl = h("span", { class: "visually-hidden" });
      button.append(button.stateEl);
      buttons.set(name, button);
    }
    return button;
  }

  /** The values chosen in a mode: any (the filter), all (the rule), none (a leave-out filter
   * of the kind, else the rule). */
  function valuesOf(which, filters = store.filters) {
    if (which === "any") return filters[filter];
    if (which === "none" && excludeFilter) return filters[excludeFilter];
    return conditionValue(filters[RULE], kind, which === "all" ? "all_of" : "none_of") ?? [];
  }

  /** The change of filters that makes `which`'s values `values`. */
  function patchFor(which, values, patch = {}) {
    if (which === "any") return { ...patch, [filter]: values };
    if (which === "none" && excludeFilter) return { ...patch, [excludeFilter]: values };
    const rule = RULE in patch ? patch[RULE] : store.filters[RULE];
    return { ...patch, [RULE]: withCondition(rule, kind, which === "all" ? "all_of" : "none_of", values) };
  }

  function setMode(next) {
    const before = mode;
    mode = next;
    // Between any and all, the chosen values follow (they combine the other way).
    if (before !== "none" && next !== "none" && before !== next) {
      const moving = valuesOf(before);
      if (moving.length) {
        store.setFilters(patchFor(next, [...new Set([...valuesOf(next), ...moving])], patchFor(before, [])));
        return;
      }
    }
    layout();
  }

  function toggleValue(name) {
    const selected = valuesOf(mode);
    const next = selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name];
    // A value is either chosen or left out, not both.
    const other = mode === "none" ? (valuesOf("all").length ? "all" : "any") : "none";
    const patch = modes && valuesOf(other).includes(name) ? patchFor(other, valuesOf(other).filter((n) => n !== name)) : {};
    store.setFilters(patchFor(mode, next, patch));
  }

  /** Follow the filters: "all" when the rule holds all-of values, "any" when it no longer does. */
  function followMode() {
    if (!modes) return;
    if (mode === "any" && valuesOf("all").length && !valuesOf("any").length) mode = "all";
    else if (mode === "all" && !valuesOf("all").length && valuesOf("any").length) mode = "any";
    for (const input of modeInputs) input.checked = input.value === mode;
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
    followMode();
    const selected = new Set(valuesOf(mode));
    const included = modes ? new Set(mode === "none" ? [...valuesOf("any"), ...valuesOf("all")] : []) : new Set();
    const excluded = modes && mode !== "none" ? new Set(valuesOf("none")) : new Set();
    const all = names(new Set([...selected, ...included, ...excluded]));
    const searching = found !== null;
    const marked = (name) => selected.has(name) || included.has(name) || excluded.has(name);
    const visible = expanded || searching ? all : all.filter((name, i) => i < limit || marked(name));
    const current = [...chips.children].map((el) => el.dataset.value);
    if (current.join("\u0000") !== visible.join("\u0000")) chips.replaceChildren(...visible.map(chip));
    const foundCounts = searching ? new Map(found.map((f) => [f.name, f.count])) : null;
    for (const name of visible) {
      const button = chip(name);
      const count = (foundCounts ?? counts).get(name) ?? 0;
      setText(button.countEl, formatCount(count));
      setText(button.nounEl, count === 1 ? " track" : " tracks");
      button.classList.toggle("is-zero", count === 0 && !marked(name));
      button.setAttribute("aria-pressed", String(selected.has(name)));
      button.classList.toggle("is-excluded", excluded.has(name) || (mode === "none" && selected.has(name)));
      button.classList.toggle("is-included", included.has(name));
      setText(button.stateEl, excluded.has(name) ? " (left out)" : included.has(name) ? " (chosen)" : "");
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
    const chosen = selected.size + included.size + excluded.size;
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
