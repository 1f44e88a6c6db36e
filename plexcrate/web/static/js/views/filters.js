// The filter panel, built from the filters the server declares (GET /api/filters, through
// vocabulary.js): a control per filter, chosen by its type — chips with counts and a search
// box for a kind of tag that has a facet (genres, styles, moods, album types, labels), chips
// for the decades, names typed with suggestions for the other kinds (artists to keep or leave
// out, genres to leave out), a switch for a flag, a choice as segments, a number as a field.
// A few get a control of their own: the minimum rating (stars), the year range (beside the
// decades) and "added within" (a few spans to pick from). A filter the server adds shows up
// with its type's control, at the end.
//
// Sections with counts open and close; only the open ones are counted (the page asks the stats
// for their facets alone). Which are open is remembered in this browser; a section holding a
// chosen value opens by itself, so every chosen value is in sight.

import { $, h, setText, show } from "../dom.js";
import { choiceLabel, humanize, kindName, withArticle, withinDaysLabel } from "../labels.js";
import { activeFilterCount, store } from "../state.js";
import { topLevel } from "../rules.js";
import { RULE, declarations } from "../vocabulary.js";
import { dateControl, playsRangeControl, ratingRangeControl } from "./ruleparts.js";
import { createFacetGroup } from "./facetgroup.js";
import { createRatingSlider } from "./stars.js";
import { createTokenInput } from "./tokens.js";

// The panel's order, and the filters shown inside another's section.
const ORDER = ["min_rating", "exclude_live", "genre", "decade", "artist", "played", "added_within_days", "style", "mood", "album_type", "label"];
const INSIDE = { genre: ["exclude_genre"], decade: ["year_min", "year_max"], artist: ["exclude_artist"] };
const TITLES = { decade: "Years", exclude_live: "Exclude live recordings", min_rating: "Minimum rating", added_within_days: "Added to Plex", played: "Played" };
const OPEN_AT_FIRST = new Set(["genres", "decades"]);
const OPEN_KEY = "plexcrate.openFilters";
const DAY_PRESETS = [7, 30, 90, 365];
// What the rule language adds to the panel, after the filter it goes with.
const AFTER = {
  min_rating: () => [ratingRangeControl()],
  played: () => [playsRangeControl(), dateControl("last_played", "Last played")],
  added_within_days: () => [dateControl("added", "Added, by date")],
};

/** `onOpen(facet)`: a section was opened and needs its counts. */
export function createFilters(root, { onOpen } = {}) {
  const declared = new Map(declarations().map((d) => [d.name, d]));
  const remembered = readOpen();
  const controls = []; // { reflect(filters) }
  const groups = []; // facet groups

  const clear = h(
    "button",
    { type: "button", class: "btn btn-quiet btn-small clear-filters", onclick: () => store.resetFilters({ keepSearch: true }) },
    "Clear all filters",
  );
  root.append(h("div", { class: "filters-head" }, h("h2", { class: "filters-title" }, "Filters"), clear));

  const placed = new Set(["q", ...Object.values(INSIDE).flat()]); // q: the search box above
  const names = [...ORDER.filter((name) => declared.has(name)), ...[...declared.keys()].filter((name) => !ORDER.includes(name))];
  for (const name of names) {
    if (placed.has(name)) continue;
    placed.add(name);
    const control = controlFor(declared.get(name));
    if (control) {
      controls.push(control);
      root.append(control.element);
    }
    for (const extra of AFTER[name]?.() ?? []) {
      controls.push(extra);
      root.append(extra.element);
    }
  }

  function controlFor(d) {
    const inside = (INSIDE[d.name] || []).filter((name) => declared.has(name)).map((name) => declared.get(name));
    if (d.name === "min_rating") return ratingControl(d);
    if (d.name === "added_within_days") return withinDaysControl(d);
    if (d.facet) return facetControl(d, inside);
    switch (d.type) {
      case "names":
        return section(d, [
          tokenControl(d, `Only these ${kindName(d.tag_kind, true)}`),
          ...inside.map((x) => tokenControl(x, `Leave out ${kindName(x.tag_kind, true)}`, { exclude: true })),
        ]);
      case "bool":
        return switchControl(d);
      case "choice":
        return choiceControl(d);
      case "int":
        return section(d, [numberControl(d, TITLES[d.name] ?? humanize(d.name))]);
      default:
        return null;
    }
  }

  /** A section around some controls, with a heading. */
  function section(d, parts) {
    const id = `${d.name.replace(/_/g, "-")}-heading`;
    const element = h(
      "section",
      { class: "filter-group", "aria-labelledby": id },
      h("div", { class: "filter-group-head" }, h("h3", { id }, TITLES[d.name] ?? humanize(d.tag_kind ? kindName(d.tag_kind, true) : d.name))),
      parts.map((part) => part.element),
    );
    return { element, reflect: (filters) => parts.forEach((part) => part.reflect(filters)) };
  }

  function facetControl(d, inside) {
    const one = d.tag_kind ? kindName(d.tag_kind) : "decade";
    const title = TITLES[d.name] ?? humanize(kindName(d.tag_kind, true));
    const extras = inside.map((x) =>
      x.type === "names" ? tokenControl(x, `Leave out ${kindName(x.tag_kind, true)}`, { exclude: true }) : null,
    ).filter(Boolean);
    const years = inside.filter((x) => x.type === "int");
    if (years.length) extras.push(rangeControl(years));
    const group = createFacetGroup({
      filter: d.name,
      facet: d.facet,
      kind: d.type === "names" ? d.tag_kind : null,
      id: d.facet.replace(/_/g, "-"),
      title,
      one,
      limit: d.type === "decades" ? Infinity : 12,
      chronological: d.type === "decades",
      open: remembered[d.facet] ?? OPEN_AT_FIRST.has(d.facet),
      extras: extras.map((x) => x.element),
      onOpen: () => {
        rememberOpen();
        onOpen?.(d.facet);
      },
      onClose: rememberOpen,
      modes: d.type === "names",
      excludeFilter: [...declared.values()].find((x) => x.tag_kind === d.tag_kind && x.rule?.op === "none_of")?.name ?? null,
    });
    groups.push(group);
    return {
      element: group.element,
      reflect: (filters) => {
        const inRule = topLevel(filters[RULE]).some((p) => p.field === d.tag_kind);
        const chosen = inRule || [d.name, ...inside.map((x) => x.name)].some((name) => isSet(declared.get(name), filters[name]));
        if (chosen && !group.open) group.setOpen(true, { quiet: true });
        group.reflect();
        extras.forEach((x) => x.reflect(filters));
      },
    };
  }

  /** `exclude`: a companion inside another's section ("Leave out …"), drawn as such. */
  function tokenControl(d, label, { exclude = false } = {}) {
    return createTokenInput({
      exclude,
      filter: d.name,
      kind: d.tag_kind,
      id: `${d.name.replace(/_/g, "-")}-input`,
      label,
      noun: kindName(d.tag_kind, true),
      placeholder: `Type ${withArticle(kindName(d.tag_kind))}…`,
    });
  }

  function ratingControl(d) {
    const value = h("span", { class: "filter-value", id: "rating-value" });
    const any = h(
      "button",
      { type: "button", class: "link-button", hidden: true, onclick: () => store.setFilters({ [d.name]: 0 }) },
      "Any",
      h("span", { class: "visually-hidden" }, " rating"),
    );
    const slider = createRatingSlider({ labelledBy: "rating-heading", onChange: (v) => store.setFilters({ [d.name]: v }) });
    const element = h(
      "section",
      { class: "filter-group", "aria-labelledby": "rating-heading" },
      h("div", { class: "filter-group-head" }, h("h3", { id: "rating-heading" }, TITLES[d.name]), any),
      h("div", { class: "rating-row" }, slider.element, value),
    );
    return {
      element,
      reflect: (filters) => {
        slider.setValue(filters[d.name]);
        setText(value, filters[d.name] ? slider.element.getAttribute("aria-valuetext") : "Any");
        any.hidden = !filters[d.name];
      },
    };
  }

  function switchControl(d) {
    const id = d.name === "exclude_live" ? "exclude-live" : `${d.name.replace(/_/g, "-")}-switch`;
    const input = h("input", {
      type: "checkbox",
      id,
      role: "switch",
      class: "switch-input",
      onchange: (event) => store.setFilters({ [d.name]: event.target.checked }),
    });
    const element = h(
      "section",
      { class: "filter-group filter-switch" },
      h(
        "label",
        { class: "switch", for: id },
        input,
        h("span", { class: "switch-track", "aria-hidden": "true" }),
        h("span", {}, TITLES[d.name] ?? humanize(d.name)),
      ),
    );
    return { element, reflect: (filters) => (input.checked = Boolean(filters[d.name])) };
  }

  function choiceControl(d) {
    const id = `${d.name.replace(/_/g, "-")}-heading`;
    const inputs = d.choices.map((choice) =>
      h("input", {
        type: "radio",
        name: `filter-${d.name}`,
        id: `${d.name}-${choice}`,
        value: choice,
        onchange: () => store.setFilters({ [d.name]: choice }),
      }),
    );
    const element = h(
      "section",
      { class: "filter-group", "aria-labelledby": id },
      h("div", { class: "filter-group-head" }, h("h3", { id }, TITLES[d.name] ?? humanize(d.name))),
      h(
        "div",
        { class: "field-group segmented", role: "radiogroup", "aria-labelledby": id },
        inputs.map((input) => h("span", { class: "segment" }, input, h("label", { for: input.id }, choiceLabel(d.name, input.value)))),
      ),
    );
    return { element, reflect: (filters) => inputs.forEach((input) => (input.checked = input.value === filters[d.name])) };
  }

  function withinDaysControl(d) {
    const id = `${d.name.replace(/_/g, "-")}-select`;
    const select = h("select", { class: "input input-small", id });
    select.addEventListener("change", () => store.setFilters({ [d.name]: select.value ? Number(select.value) : null }));
    const element = h(
      "section",
      { class: "filter-group" },
      h("div", { class: "filter-group-head" }, h("h3", {}, h("label", { for: id }, TITLES[d.name]))),
      select,
    );
    return {
      element,
      reflect: (filters) => {
        const days = filters[d.name];
        const spans = [...DAY_PRESETS];
        if (days != null && !spans.includes(days)) spans.push(days);
        spans.sort((a, b) => a - b);
        const wanted = ["", ...spans.map(String)];
        if ([...select.options].map((o) => o.value).join() !== wanted.join()) {
          select.replaceChildren(
            h("option", { value: "" }, "Any time"),
            ...spans.map((n) => h("option", { value: String(n) }, withinDaysLabel(n))),
          );
        }
        select.value = days == null ? "" : String(days);
      },
    };
  }

  function reflect(filters) {
    for (const control of controls) control.reflect(filters);
    const active = activeFilterCount(filters);
    clear.hidden = active === 0;
    const badge = $("#filters-count");
    if (badge) {
      setText(badge, active ? String(active) : "");
      show(badge, active > 0);
    }
  }

  store.on("filters", ({ filters }) => reflect(filters));
  reflect(store.filters);

  return {
    /** The facets of the open sections (what the stats should count). */
    openFacets: () => groups.filter((g) => g.open).map((g) => g.facet),
    /** Of those, the ones without their order yet (the library's own counts). */
    facetsWithoutOrder: (facets) => groups.filter((g) => facets.includes(g.facet) && g.needsOrder).map((g) => g.facet),
    /** New counts from /api/library/stats, for `facets`. */
    updateStats(stats, facets) {
      for (const g of groups) if (facets.includes(g.facet)) g.update(stats[g.facet] ?? []);
    },
    /** The library's counts without filters: the chips' order. */
    setOrder(stats, facets) {
      for (const g of groups) if (facets.includes(g.facet)) g.setOrder(stats[g.facet] ?? []);
    },
    /** The library changed (a sync): take the chips' order afresh. */
    resetOrder() {
      for (const g of groups) g.resetOrder();
    },
  };

  function rememberOpen() {
    try {
      localStorage.setItem(OPEN_KEY, JSON.stringify(Object.fromEntries(groups.map((g) => [g.facet, g.open]))));
    } catch {
      // private mode, or storage off: the sections open as at first next time
    }
  }
}

/** Whether a filter's value restricts something. */
function isSet(d, value) {
  if (!d || value == null) return false;
  return Array.isArray(value) ? value.length > 0 : value !== d.default && value !== "";
}

function readOpen() {
  try {
    return JSON.parse(localStorage.getItem(OPEN_KEY) || "{}") || {};
  } catch {
    return {};
  }
}

/** A whole number within the declaration's bounds, typed; empty restricts nothing. */
function numberControl(d, label) {
  const id = `${d.name.replace(/_/g, "-")}-input`;
  const input = h("input", { type: "text", inputmode: "numeric", class: "input input-small input-number", id, autocomplete: "off" });
  const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
  input.setAttribute("aria-describedby", error.id);
  function commit() {
    const text = input.value.trim();
    const problem = numberProblem(d, text);
    if (problem) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    setText(error, problem);
    show(error, Boolean(problem));
    if (!problem) store.setFilters({ [d.name]: text ? Number(text) : d.default });
  }
  input.addEventListener("change", commit);
  input.addEventListener("keydown", (event) => event.key === "Enter" && commit());
  const element = h("span", { class: "number-field" }, h("label", { class: "field-label", for: id }, label), input, error);
  return {
    element,
    reflect: (filters) => {
      const value = filters[d.name];
      const text = value == null || value === d.default ? "" : String(value);
      if (document.activeElement !== input || !input.getAttribute("aria-invalid")) {
        if (input.value.trim() !== text) input.value = text;
        input.removeAttribute("aria-invalid");
        show(error, false);
      }
    },
  };
}

function numberProblem(d, text) {
  if (!text) return "";
  const range = `from ${d.minimum} to ${d.maximum}`;
  if (!/^\d+$/.test(text)) return `“${text.slice(0, 24)}” is not a whole number: type one ${range}.`;
  const n = Number(text);
  if (d.minimum != null && n < d.minimum) return `At least ${d.minimum}.`;
  if (d.maximum != null && n > d.maximum) return `At most ${d.maximum}.`;
  return "";
}

/** The years from and to (year_min, year_max): two number fields side by side. */
function rangeControl(bounds) {
  const labels = { year_min: "From year", year_max: "To year" };
  const fields = bounds.map((d) => numberControl(d, labels[d.name] ?? humanize(d.name)));
  const element = h("div", { class: "range-fields" }, fields.map((f) => f.element));
  return { element, reflect: (filters) => fields.forEach((f) => f.reflect(filters)) };
}
