// A filter of names typed with help: the chosen names as tokens (each with a remove button), and
// a combobox that suggests values of the kind as you type (GET /api/library/facets/{kind}),
// each with its track count under the other filters. Arrow keys move through the suggestions,
// Enter picks one, Escape closes them. Used for the artists to keep or leave out, and the
// genres to leave out: any filter of names without chips of its own.

import { getFacetValues, isAbort } from "../api.js";
import { announce, debounce, h, show } from "../dom.js";
import { formatCount } from "../format.js";
import { store } from "../state.js";
import { declarations } from "../vocabulary.js";

const SUGGESTIONS = 8;

/** `filter`: the filter's name; `kind`: its tag kind; `label`: the field's label; `noun`: what
 * the values are ("artists"); `exclude`: its names are left out (drawn so). */
export function createTokenInput({ filter, kind, id, label, noun, placeholder, exclude = false }) {
  const listId = `${id}-options`;
  const tokens = h("ul", { class: "tokens", "aria-label": label, hidden: true });
  const input = h("input", {
    type: "text",
    class: "input input-small",
    id,
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": listId,
    autocomplete: "off",
    spellcheck: "false",
    maxlength: "200",
    placeholder,
  });
  const options = h("ul", { class: "suggestions", role: "listbox", id: listId, "aria-label": `${label}: suggestions`, hidden: true });
  const element = h(
    "div",
    { class: "token-field" },
    h("label", { class: "field-label", for: id }, label),
    tokens,
    h("div", { class: "combo" }, input, options),
  );

  let suggestions = []; // [{name, count}]
  let active = -1;
  let controller = null;

  const chosen = () => store.filters[filter] ?? [];

  /** The other filters, without those naming this kind (the counts of a suggestion are what
   * the list would total with it chosen). */
  function otherFilters() {
    const same = declarations().filter((d) => d.tag_kind === kind).map((d) => d.name);
    return { ...store.filters, ...Object.fromEntries(same.map((name) => [name, []])) };
  }

  const suggest = debounce(async () => {
    controller?.abort();
    const q = input.value.trim();
    if (!q) return close();
    controller = new AbortController();
    try {
      const body = await getFacetValues(kind, q, otherFilters(), { limit: SUGGESTIONS + chosen().length, signal: controller.signal });
      if (q !== input.value.trim()) return;
      const taken = new Set(chosen().map((name) => name.toLowerCase()));
      suggestions = body.values.filter((v) => !taken.has(v.name.toLowerCase())).slice(0, SUGGESTIONS);
      active = suggestions.length ? 0 : -1;
      renderOptions(q);
    } catch (error) {
      if (!isAbort(error)) close();
    }
  }, 150);

  function renderOptions(q) {
    options.replaceChildren(
      ...suggestions.map((value, index) =>
        h(
          "li",
          {
            role: "option",
            id: `${id}-option-${index}`,
            class: "suggestion",
            "aria-selected": String(index === active),
            onmousedown: (event) => event.preventDefault(), // the input keeps the focus
            onclick: () => pick(value.name),
          },
          h("span", { class: "suggestion-name" }, value.name),
          h("span", { class: "chip-count" }, formatCount(value.count)),
        ),
      ),
    );
    if (!suggestions.length) options.append(h("li", { class: "suggestion is-none", "aria-disabled": "true" }, `No ${noun} match “${q}”.`));
    show(options, true);
    input.setAttribute("aria-expanded", "true");
    markActive();
  }

  function markActive() {
    [...options.querySelectorAll("[role=option]")].forEach((el, index) => el.setAttribute("aria-selected", String(index === active)));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${id}-option-${active}`);
      document.getElementById(`${id}-option-${active}`)?.scrollIntoView({ block: "nearest" });
    } else input.removeAttribute("aria-activedescendant");
  }

  function close() {
    suggestions = [];
    active = -1;
    show(options, false);
    options.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function pick(name) {
    input.value = "";
    close();
    if (!chosen().some((n) => n.toLowerCase() === name.toLowerCase())) {
      store.setFilters({ [filter]: [...chosen(), name] });
      announce(`${label}: ${name} added.`);
    }
    input.focus();
  }

  function remove(name) {
    store.setFilters({ [filter]: chosen().filter((n) => n !== name) });
    announce(`${label}: ${name} removed.`);
    input.focus();
  }

  input.addEventListener("input", () => suggest());
  input.addEventListener("blur", () => setTimeout(close, 100));
  input.addEventListener("keydown", (event) => {
    const open = !options.hidden && suggestions.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) {
        suggest.flush();
      } else {
        const step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + suggestions.length) % suggestions.length;
        markActive();
      }
      event.preventDefault();
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (open && active >= 0) pick(suggestions[active].name);
      else suggest.flush();
    } else if (event.key === "Escape" && !options.hidden) {
      event.stopPropagation(); // closes the suggestions, not the drawer
      close();
    } else if (event.key === "Backspace" && !input.value && chosen().length) {
      remove(chosen().at(-1));
    }
  });

  function reflect() {
    const names = chosen();
    const current = [...tokens.children].map((li) => li.dataset.value);
    if (current.join("\u0000") !== names.join("\u0000")) {
      tokens.replaceChildren(
        ...names.map((name) =>
          h(
            "li",
            { class: `token${exclude ? " is-exclude" : ""}`, dataset: { value: name } },
            h("span", { class: "token-name" }, name),
            h(
              "button",
              { type: "button", class: "token-remove", "aria-label": `Remove ${name}`, title: "Remove", onclick: () => remove(name) },
              "×",
            ),
          ),
        ),
      );
    }
    show(tokens, names.length > 0);
  }

  return { element, reflect, input };
}
