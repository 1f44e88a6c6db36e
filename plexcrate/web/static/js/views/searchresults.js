// The search box's dropdown: as you type, the artists, albums and tracks the search finds
// (GET /api/search, ranked by the server), in three groups with small art. The box is an ARIA
// combobox and the dropdown its listbox: ↓/↑ move through the results, Enter opens the chosen
// one (an artist's or album's page; a track opens its album's), Escape closes. Enter with
// nothing chosen is left to the box, which filters the list as it always has.

import { isAbort, searchLibrary } from "../api.js";
import { h } from "../dom.js";
import { itemArt, setArt, trackArt } from "../plex.js";

const LIMIT = 4; // of each kind: the dropdown stays a glance, the list below has the rest
const ART = 64;

const GROUPS = [
  { kind: "artists", label: "Artists", view: (item) => ({ name: "artist", id: item.rating_key }) },
  { kind: "albums", label: "Albums", view: (item) => ({ name: "album", id: item.rating_key }) },
  { kind: "tracks", label: "Tracks", view: (item) => (item.album_key ? { name: "album", id: item.album_key } : null) },
];

function describe(kind, item) {
  if (kind === "artists") return { title: item.title, detail: `${item.album_count} album${item.album_count === 1 ? "" : "s"}`, art: itemArt(item.rating_key, ART) };
  if (kind === "albums") return { title: item.title, detail: [item.album_artist, item.year].filter(Boolean).join(" · "), art: itemArt(item.rating_key, ART) };
  return { title: item.title, detail: [item.artist, item.album].filter(Boolean).join(" · "), art: trackArt(item, ART) };
}

/**
 * Attach the dropdown to the search `input` (inside `box`). `open(view)` shows a place (the
 * router's views). Its keydown listener runs before the box's own: a key it uses is
 * `preventDefault`ed, so the box knows to leave it alone.
 */
export function createSearchResults(input, box, { open }) {
  const listId = "search-results";
  const list = h("div", { class: "search-results", id: listId, role: "listbox", "aria-label": "Search results", hidden: true });
  box.append(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", listId);

  let choices = []; // [{ view, el }] in the order the arrows walk them
  let active = -1;
  let controller = null;
  let shownFor = null; // the text whose results are shown

  let timer = null;
  const find = () => {
    clearTimeout(timer);
    timer = setTimeout(search, 120);
  };

  async function search() {
    const q = input.value.trim();
    if (!q) return close();
    if (q === shownFor && !list.hidden) return;
    controller?.abort();
    controller = new AbortController();
    try {
      const found = await searchLibrary(q, { limit: LIMIT, signal: controller.signal });
      if (input.value.trim() !== q || document.activeElement !== input) return;
      render(q, found);
    } catch (error) {
      if (!isAbort(error)) render(q, null, error.message);
    }
  }

  function render(q, found, failure = "") {
    shownFor = q;
    choices = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    const groups = [];
    for (const { kind, label, view } of GROUPS) {
      const items = found?.[kind] ?? [];
      if (!items.length) continue;
      const headingId = `${listId}-${kind}`;
      const options = items.map((item) => {
        const { title, detail, art } = describe(kind, item);
        const img = h("img", { alt: "", width: ART / 2, height: ART / 2, decoding: "async" });
        img.addEventListener("load", () => img.classList.add("is-loaded"));
        const index = choices.length;
        const el = h(
          "div",
          {
            class: "search-result",
            role: "option",
            id: `${listId}-option-${index}`,
            "aria-selected": "false",
            dataset: { kind, key: String(item.rating_key) },
            // mousedown, not click: the box keeps its focus (and the dropdown stays) until then
            onmousedown: (event) => {
              event.preventDefault();
              choose(index);
            },
            onmousemove: () => highlight(index, false),
          },
          h("span", { class: `search-result-art${kind === "artists" ? " is-round" : ""}` }, img),
          h("span", { class: "search-result-text" }, h("span", { class: "search-result-title" }, title), h("span", { class: "search-result-detail" }, detail)),
        );
        setArt(img, art);
        choices.push({ view: view(item), el });
        return el;
      });
      groups.push(h("div", { class: "search-group", role: "group", "aria-labelledby": headingId }, h("div", { class: "search-group-label", id: headingId }, label), options));
    }
    if (!groups.length) {
      const message = failure || `Nothing is called “${q}”. Enter filters the list by it.`;
      groups.push(h("div", { class: "search-none", role: "option", "aria-disabled": "true", "aria-selected": "false" }, message));
    }
    list.replaceChildren(...groups);
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  function highlight(index, scroll = true) {
    active = index;
    choices.forEach(({ el }, i) => el.setAttribute("aria-selected", String(i === index)));
    if (index < 0) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    const { el } = choices[index];
    input.setAttribute("aria-activedescendant", el.id);
    if (scroll) el.scrollIntoView({ block: "nearest" });
  }

  function choose(index) {
    const view = choices[index]?.view;
    close();
    if (!view) return;
    input.blur(); // the page opened takes the focus (its heading), as a link would
    open(view);
  }

  function close() {
    controller?.abort();
    clearTimeout(timer);
    list.hidden = true;
    list.replaceChildren();
    choices = [];
    active = -1;
    shownFor = null;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  input.addEventListener("input", () => find());
  input.addEventListener("focus", () => {
    if (input.value.trim()) find();
  });
  input.addEventListener("blur", () => close());
  input.addEventListener("keydown", (event) => {
    if (event.isComposing) return;
    const isOpen = !list.hidden;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!isOpen) {
        if (input.value.trim()) search();
        return;
      }
      if (!choices.length) return;
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      highlight(active < 0 && step < 0 ? choices.length - 1 : (active + step + choices.length) % choices.length);
    } else if (event.key === "Enter") {
      if (isOpen && active >= 0) {
        event.preventDefault();
        choose(active);
      } else {
        close(); // the box filters the list: what the dropdown would show is below
      }
    } else if (event.key === "Escape" && isOpen) {
      event.preventDefault();
      close();
    }
  });

  return { close };
}
