// Above the list: which list (Tracks, Albums, Artists: links, so each has an address), how many
// match, the sort (every sort the server declares, in words) and Shuffle — "Reshuffle" once
// shuffled, for another order of the same tracks.

import { $, h, icon, ICONS, setText } from "../dom.js";
import { sortLabel } from "../labels.js";
import { LISTS, RECIPES } from "../router.js";
import { newSeed, store } from "../state.js";
import { sorts } from "../vocabulary.js";

const TAB_NAMES = { tracks: "Tracks", albums: "Albums", artists: "Artists", [RECIPES]: "Recipes" };

/** The views' tabs (the lists, then the living playlists): links, kept on the current filters. */
export function createViewTabs() {
  const tabs = new Map(
    [...LISTS, RECIPES].map((name) => [
      name,
      h("a", { class: `view-tab${name === RECIPES ? " view-tab-recipes" : ""}`, "data-route": "", dataset: { view: name } }, TAB_NAMES[name]),
    ]),
  );
  const nav = h("nav", { class: "view-tabs", "aria-label": "Browse" }, [...tabs.values()]);
  function reflect() {
    for (const [name, tab] of tabs) {
      tab.setAttribute("href", store.url({ name }));
      if (store.view.name === name) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    }
  }
  store.on("filters", reflect);
  store.on("view", reflect);
  reflect();
  return nav;
}

export function createResultsHead(root) {
  const nav = createViewTabs();

  const select = h(
    "select",
    { class: "input input-small sort-select", id: "sort" },
    sorts().map((sort) => h("option", { value: sort }, sortLabel(sort))),
  );
  select.addEventListener("change", () => {
    const sort = select.value;
    store.setSort(sort, sort === "random" ? newSeed() : null);
  });
  const shuffleText = h("span", {}, "Shuffle");
  const shuffle = h(
    "button",
    { type: "button", class: "btn btn-small shuffle", id: "shuffle", onclick: () => store.setSort("random", newSeed()) },
    icon(ICONS.shuffle),
    shuffleText,
  );
  const tools = h(
    "div",
    { class: "results-tools" },
    h("label", { class: "visually-hidden", for: "sort" }, "Sort by"),
    select,
    shuffle,
  );
  root.prepend(nav);
  $("#match-count", root).after(tools);

  function reflect() {
    if (select.value !== store.sort) select.value = store.sort;
    const shuffled = store.sort === "random";
    setText(shuffleText, shuffled ? "Reshuffle" : "Shuffle");
    shuffle.title = shuffled ? "Another shuffle of the same list" : "Show the list in a random order";
    shuffle.classList.toggle("is-on", shuffled);
  }

  store.on("filters", reflect);
  store.on("view", reflect);
  reflect();
  return { reflect };
}
