// The filter panel's controls that speak the rule language beyond the declared filters: each
// edits one top-level part of the address's rule (`filters.rule`, rules.js) and shows it back.
// A rating range with unrated tracks in or out, a range of plays, and when a track was added or
// last played ("in the last / not in the last N days", before or after a day).

import { h, setText, show } from "../dom.js";
import { allOf, topLevel } from "../rules.js";
import { store } from "../state.js";
import { RULE } from "../vocabulary.js";

const rule = () => store.filters[RULE];
const setRule = (next) => store.setFilters({ [RULE]: next });

/** The rule with the top-level parts `mine(part)` says are this control's replaced by `parts`. */
function replaceParts(mine, parts) {
  return allOf({ all: [...topLevel(rule()).filter((p) => !mine(p)), ...parts.filter(Boolean)] });
}

function section(id, title, ...children) {
  return h(
    "section",
    { class: "filter-group", "aria-labelledby": id },
    h("div", { class: "filter-group-head" }, h("h3", { id }, title)),
    ...children,
  );
}

// --- rating: a range, unrated in or out ---

const isRating = (p) => p.field === "rating" && ["between", "is_empty", "is_not_empty"].includes(p.op);
const isRatingAny = (p) => Array.isArray(p.any) && p.any.length === 2 && p.any.every(isRating);
const STAR_CHOICES = [0, 1, 2, 3, 4, 5];

export function ratingRangeControl() {
  const from = starSelect("rating-from", "Rating from");
  const to = starSelect("rating-to", "Rating to");
  const unrated = h("select", { class: "input input-small", id: "rating-unrated" }, [
    h("option", { value: "" }, "Unrated too"),
    h("option", { value: "out" }, "Rated only"),
    h("option", { value: "only" }, "Unrated only"),
  ]);
  const element = section(
    "rating-range-heading",
    "Rating range",
    h(
      "div",
      { class: "range-fields" },
      h("span", { class: "number-field" }, h("label", { class: "field-label", for: "rating-from" }, "From"), from),
      h("span", { class: "number-field" }, h("label", { class: "field-label", for: "rating-to" }, "To"), to),
      h("span", { class: "number-field" }, h("label", { class: "field-label", for: "rating-unrated" }, "Unrated tracks"), unrated),
    ),
  );

  function commit() {
    const lo = from.value === "" ? null : Number(from.value) * 2;
    const hi = to.value === "" ? null : Number(to.value) * 2;
    const mode = unrated.value;
    const ranged = lo != null || hi != null;
    const range = ranged ? { field: "rating", op: "between", value: [lo ?? 0, hi ?? 10] } : null;
    let part = null;
    if (mode === "only") part = { field: "rating", op: "is_empty" };
    else if (mode === "out") part = range ?? { field: "rating", op: "is_not_empty" };
    else if (range) part = { any: [range, { field: "rating", op: "is_empty" }] };
    setRule(replaceParts((p) => isRating(p) || isRatingAny(p), [part]));
  }
  for (const el of [from, to, unrated]) el.addEventListener("change", commit);

  return {
    element,
    reflect() {
      const part = topLevel(rule()).find((p) => isRating(p) || isRatingAny(p));
      const range = part?.op === "between" ? part : part?.any?.find((p) => p.op === "between");
      from.value = range ? String(range.value[0] / 2) : "";
      to.value = range ? String(range.value[1] / 2) : "";
      unrated.value = !part ? "" : part.op === "is_empty" ? "only" : part.any ? "" : "out";
      from.disabled = to.disabled = unrated.value === "only";
    },
  };
}

function starSelect(id, label) {
  return h("select", { class: "input input-small", id, "aria-label": label }, [
    h("option", { value: "" }, "Any"),
    ...STAR_CHOICES.map((n) => h("option", { value: String(n) }, n === 1 ? "1 star" : `${n} stars`)),
  ]);
}

// --- plays: a range ---

export function playsRangeControl() {
  const fields = [
    ["ge", "plays-min", "At least"],
    ["le", "plays-max", "At most"],
  ].map(([op, id, label]) => {
    const input = h("input", { type: "text", inputmode: "numeric", class: "input input-small input-number", id, autocomplete: "off" });
    const error = h("span", { class: "field-error", id: `${id}-error`, hidden: true });
    input.setAttribute("aria-describedby", error.id);
    const commit = () => {
      const text = input.value.trim();
      const bad = text && !/^\d{1,9}$/.test(text);
      setText(error, bad ? `“${text.slice(0, 24)}” is not a whole number of plays.` : "");
      show(error, Boolean(bad));
      if (bad) return input.setAttribute("aria-invalid", "true");
      input.removeAttribute("aria-invalid");
      const part = text ? { field: "plays", op, value: Number(text) } : null;
      setRule(replaceParts((p) => p.field === "plays" && p.op === op, [part]));
    };
    input.addEventListener("change", commit);
    input.addEventListener("keydown", (event) => event.key === "Enter" && commit());
    const element = h("span", { class: "number-field" }, h("label", { class: "field-label", for: id }, label), input, error);
    return { op, input, element };
  });
  const element = section("plays-heading", "Plays", h("div", { class: "range-fields" }, fields.map((f) => f.element)));
  return {
    element,
    reflect() {
      for (const { op, input } of fields) {
        if (document.activeElement === input && input.getAttribute("aria-invalid")) continue;
        const value = topLevel(rule()).find((p) => p.field === "plays" && p.op === op)?.value;
        input.value = value == null ? "" : String(value);
      }
    },
  };
}

// --- dates: in the last / not in the last N days, before / after a day ---

const DATE_OPS = [
  ["", "Any time"],
  ["in_last_days", "In the last"],
  ["not_in_last_days", "Not in the last"],
  ["before", "Before"],
  ["after", "After"],
];
const isDay = (op) => op === "before" || op === "after";

/** `field`: added or last_played; `title`: its heading. */
export function dateControl(field, title) {
  const id = field.replace(/_/g, "-");
  const op = h("select", { class: "input input-small", id: `${id}-op`, "aria-label": `${title}: when` }, DATE_OPS.map(([value, label]) => h("option", { value }, label)));
  const days = h("input", { type: "text", inputmode: "numeric", class: "input input-small input-number", id: `${id}-days`, "aria-label": `${title}: days`, autocomplete: "off", hidden: true });
  const daysLabel = h("span", { class: "field-label", hidden: true }, "days");
  const day = h("input", { type: "date", class: "input input-small", id: `${id}-day`, "aria-label": `${title}: day`, hidden: true });
  const element = section(`${id}-when-heading`, title, h("div", { class: "date-row" }, op, days, daysLabel, day));
  const mine = (p) => p.field === field && DATE_OPS.some(([o]) => o && o === p.op);

  function layout() {
    const chosen = op.value;
    show(days, Boolean(chosen) && !isDay(chosen));
    show(daysLabel, Boolean(chosen) && !isDay(chosen));
    show(day, isDay(chosen));
  }

  function commit() {
    layout();
    const chosen = op.value;
    let part = null;
    if (chosen && isDay(chosen) && day.value) part = { field, op: chosen, value: day.value };
    if (chosen && !isDay(chosen)) {
      const n = Number(days.value.trim());
      if (Number.isInteger(n) && n >= 1 && n <= 36500) part = { field, op: chosen, value: n };
      else if (days.value.trim()) return days.setAttribute("aria-invalid", "true");
      else return; // waiting for a number
    }
    days.removeAttribute("aria-invalid");
    if (chosen && !part) return;
    setRule(replaceParts(mine, [part]));
  }
  op.addEventListener("change", () => {
    if (!isDay(op.value) && !days.value) days.value = "30";
    commit();
    (isDay(op.value) ? day : days).focus?.();
  });
  days.addEventListener("change", commit);
  days.addEventListener("keydown", (event) => event.key === "Enter" && commit());
  day.addEventListener("change", commit);

  return {
    element,
    reflect() {
      const part = topLevel(rule()).find(mine);
      if (document.activeElement === days && days.getAttribute("aria-invalid")) return;
      if (!part && op.value && document.activeElement && element.contains(document.activeElement)) return;
      op.value = part?.op ?? "";
      if (part && isDay(part.op)) day.value = part.value;
      else if (part) days.value = String(part.value);
      layout();
    },
  };
}
