// The active filters bar, above every list: each condition of the page's choice (a filter, or a
// part of the address's rule) as a chip that says it in words and removes it, and why the
// counts are smaller than the library ("12 live recordings hidden", with "Show them").

import { getTracks, isAbort } from "../api.js";
import { h, setText, show } from "../dom.js";
import { plural } from "../format.js";
import { allOf, describeCondition, describeRule, filterConditions, topLevel, withoutPart } from "../rules.js";
import { store } from "../state.js";
import { RULE, declarations } from "../vocabulary.js";

const LIVE = "exclude_live";

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** `root`: where the bar goes (above the list); `onEdit()`: open the rule editor; `onKeep()`:
 * keep the page's choice as a living playlist. */
export function createActiveFilters(root, { onEdit, onKeep } = {}) {
  const list = h("ul", { class: "active-chips", "aria-label": "Active filters" });
  const liveNote = h("span", { class: "active-note-text" });
  const showLive = h(
    "button",
    { type: "button", class: "link-button", onclick: () => store.setFilters({ [LIVE]: false }) },
    "Show them",
  );
  const note = h("p", { class: "active-note", id: "active-note", hidden: true }, liveNote, " ", showLive);
  const edit = h("button", { type: "button", class: "btn btn-quiet btn-small", id: "edit-rule", onclick: () => onEdit?.() }, "Edit as a rule");
  const keep = h(
    "button",
    { type: "button", class: "btn btn-quiet btn-small", id: "keep-living", hidden: !onKeep, onclick: () => onKeep?.() },
    "Keep as a living playlist",
  );
  const clear = h(
    "button",
    { type: "button", class: "btn btn-quiet btn-small", onclick: () => clearAll() },
    "Clear all",
  );
  const bar = h("div", { class: "active-filters", id: "active-filters", hidden: true }, list, h("div", { class: "active-tools" }, note, edit, keep, clear));
  root.append(bar);

  let controller = null;
  let liveKey = null;
  let chipCount = 0;

  function clearAll() {
    const first = list.querySelector("button");
    store.resetFilters();
    if (first) document.getElementById("search")?.focus();
  }

  /** The chips: [{text, remove()}], the filters' first, then the rule's parts. */
  function chips(filters) {
    const declared = new Map(declarations().map((d) => [d.name, d]));
    const found = filterConditions(filters)
      .filter((x) => x.name !== LIVE)
      .map(({ name, condition }) => ({
        text: describeCondition(condition),
        remove: () => {
          const d = declared.get(name);
          store.setFilters({ [name]: Array.isArray(filters[name]) ? [] : d.default });
        },
      }));
    topLevel(filters[RULE]).forEach((part, index) => {
      found.push({
        text: describeRule(part, false),
        remove: () => store.setFilters({ [RULE]: withoutPart(store.filters[RULE], index) }),
      });
    });
    return found;
  }

  function render(filters) {
    const all = chips(filters);
    const focused = list.contains(document.activeElement) ? [...list.querySelectorAll("button")].indexOf(document.activeElement) : -1;
    list.replaceChildren(
      ...all.map(({ text, remove }) =>
        h(
          "li",
          { class: "active-chip" },
          h("span", { class: "active-chip-text" }, capital(text)),
          h(
            "button",
            { type: "button", class: "active-chip-remove", "aria-label": `Remove “${capital(text)}”`, title: "Remove", onclick: remove },
            "×",
          ),
        ),
      ),
    );
    // The focus stays in the bar when a chip goes: on the next one, or the search box.
    if (focused >= 0) {
      const buttons = list.querySelectorAll("button");
      (buttons[Math.min(focused, buttons.length - 1)] ?? document.getElementById("search"))?.focus();
    }
    show(list, all.length > 0);
    show(clear, all.length > 1);
    show(edit, Boolean(onEdit));
    chipCount = all.length;
    countLive(filters);
    showBar();
  }

  function showBar() {
    show(bar, chipCount > 0 || !note.hidden);
  }

  /** How many live recordings the other filters match: the ones exclude_live hides. */
  async function countLive(filters) {
    if (!filters[LIVE]) {
      controller?.abort();
      liveKey = null;
      show(note, false);
      return;
    }
    const live = { ...filters, [LIVE]: false, [RULE]: allOf(filters[RULE], { field: "live", op: "is", value: true }) };
    const key = JSON.stringify(live);
    if (key === liveKey) return;
    liveKey = key;
    controller?.abort();
    controller = new AbortController();
    try {
      const { total } = await getTracks(live, { limit: 1, signal: controller.signal });
      setText(liveNote, `${plural(total, "live recording")} hidden.`);
      show(note, total > 0);
      showBar();
    } catch (error) {
      if (isAbort(error)) return;
      liveKey = null;
      setText(liveNote, "Live recordings hidden.");
      show(note, true);
      showBar();
    }
  }

  store.on("filters", ({ filters }) => render(filters));
  render(store.filters);
  return { element: bar };
}
