// The filter panel: genre and decade chips with track counts, the minimum rating (stars), and
// "exclude live recordings". Chips keep their order while counts change (no jumping around);
// the order is set again when the library itself changes.

import { $, h, setText, show } from "../dom.js";
import { formatCount } from "../format.js";
import { activeFilterCount, store } from "../state.js";
import { createRatingSlider } from "./stars.js";

const GENRES_SHOWN = 12; // the most common genres; "Show all" reveals the rest

export function createFilters(root) {
  const genres = createChipGroup({
    key: "genre",
    title: "Genres",
    id: "genres",
    limit: GENRES_SHOWN,
    emptyText: "No genres yet.",
  });
  const decades = createChipGroup({
    key: "decade",
    title: "Decades",
    id: "decades",
    emptyText: "No years yet.",
    chronological: true,
  });

  const ratingValue = h("span", { class: "filter-value", id: "rating-value" });
  const ratingClear = h(
    "button",
    { type: "button", class: "link-button", hidden: true, onclick: () => store.setFilters({ min_rating: 0 }) },
    "Any",
    h("span", { class: "visually-hidden" }, " rating"),
  );
  const rating = createRatingSlider({
    labelledBy: "rating-heading",
    onChange: (value) => store.setFilters({ min_rating: value }),
  });

  const live = h("input", {
    type: "checkbox",
    id: "exclude-live",
    role: "switch",
    class: "switch-input",
    onchange: (event) => store.setFilters({ exclude_live: event.target.checked }),
  });

  const clear = h(
    "button",
    {
      type: "button",
      class: "btn btn-quiet btn-small clear-filters",
      onclick: () => store.resetFilters({ keepSearch: true }),
    },
    "Clear all filters",
  );

  root.append(
    h(
      "div",
      { class: "filters-head" },
      h("h2", { class: "filters-title" }, "Filters"),
      clear,
    ),
    h(
      "section",
      { class: "filter-group", "aria-labelledby": "rating-heading" },
      h(
        "div",
        { class: "filter-group-head" },
        h("h3", { id: "rating-heading" }, "Minimum rating"),
        ratingClear,
      ),
      h("div", { class: "rating-row" }, rating.element, ratingValue),
    ),
    h(
      "section",
      { class: "filter-group filter-switch" },
      h(
        "label",
        { class: "switch", for: "exclude-live" },
        live,
        h("span", { class: "switch-track", "aria-hidden": "true" }),
        h("span", {}, "Exclude live recordings"),
      ),
    ),
    genres.element,
    decades.element,
  );

  function reflect(filters) {
    genres.reflect(filters.genre);
    decades.reflect(filters.decade);
    rating.setValue(filters.min_rating);
    setText(ratingValue, filters.min_rating ? `${rating.element.getAttribute("aria-valuetext")}` : "Any");
    ratingClear.hidden = !filters.min_rating;
    live.checked = filters.exclude_live;
    clear.hidden = activeFilterCount(filters) === 0;
    const badge = $("#filters-count");
    if (badge) {
      const active = activeFilterCount(filters);
      setText(badge, active ? String(active) : "");
      show(badge, active > 0);
    }
  }

  store.on("filters", ({ filters }) => reflect(filters));
  reflect(store.filters);

  return {
    /** New counts from /api/library/stats. */
    updateStats(stats) {
      genres.update(stats.genres);
      decades.update(stats.decades);
    },
    /** The library changed (a sync): take the chips' order afresh from the next counts. */
    resetOrder() {
      genres.resetOrder();
      decades.resetOrder();
    },
  };
}

function createChipGroup({ key, title, id, limit = Infinity, emptyText, chronological = false }) {
  const headingId = `${id}-heading`;
  const chips = h("div", { class: "chips", role: "group", "aria-labelledby": headingId, id: `${id}-chips` });
  const empty = h("p", { class: "muted small", hidden: true }, emptyText);
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
  const element = h(
    "section",
    { class: "filter-group", "aria-labelledby": headingId },
    h("div", { class: "filter-group-head" }, h("h3", { id: headingId }, title)),
    chips,
    empty,
    more,
  );

  let order = null; // names, in the order the chips keep
  let counts = new Map();
  let expanded = false;
  const buttons = new Map(); // name → button

  function chip(name) {
    let button = buttons.get(name);
    if (!button) {
      const count = h("span", { class: "chip-count" });
      button = h(
        "button",
        {
          type: "button",
          class: "chip",
          "aria-pressed": "false",
          dataset: { value: name },
          onclick: () => toggle(name),
        },
        h("span", { class: "chip-name" }, name),
        count,
        h("span", { class: "visually-hidden" }, " tracks"),
      );
      button.countEl = count;
      buttons.set(name, button);
    }
    return button;
  }

  function toggle(name) {
    const selected = store.filters[key];
    const next = selected.includes(name) ? selected.filter((n) => n !== name) : [...selected, name];
    store.setFilters({ [key]: next });
  }

  function layout() {
    const selected = new Set(store.filters[key]);
    const names = order ? [...order] : [];
    for (const name of selected) if (!names.includes(name)) names.push(name);
    const visible = expanded ? names : names.filter((name, i) => i < limit || selected.has(name));
    const current = [...chips.children].map((el) => el.dataset.value);
    if (current.join("\u0000") !== visible.join("\u0000")) {
      chips.replaceChildren(...visible.map(chip));
    }
    for (const name of visible) {
      const button = chip(name);
      const count = counts.get(name) ?? 0;
      setText(button.countEl, formatCount(count));
      button.classList.toggle("is-zero", count === 0 && !selected.has(name));
      button.setAttribute("aria-pressed", String(selected.has(name)));
    }
    show(empty, names.length === 0 && order !== null);
    show(more, names.length > limit);
    setText(more, expanded ? `Show fewer ${title.toLowerCase()}` : `Show all ${names.length} ${title.toLowerCase()}`);
  }

  return {
    element,
    update(facets) {
      counts = new Map(facets.map((f) => [f.name, f.count]));
      if (order === null) order = facets.map((f) => f.name);
      else for (const f of facets) if (!order.includes(f.name)) order.push(f.name);
      if (chronological) order.sort();
      layout();
    },
    reflect() {
      layout();
    },
    resetOrder() {
      order = null;
    },
  };
}
