// The Recipes view ("/recipes"): every living playlist with its Plex playlist (a link into
// Plex), tracks, length, how and when it refreshes, whether it is paused or owes a refresh and
// why, and its history (opened on demand). Each can be refreshed now (the result is said once
// the list shows it), edited, paused or resumed, and deleted (after a question, with its Plex
// playlist or not). The starting points make a new one in a click or two.

import { deleteRecipe, editRecipe, getStats, isAbort, listRecipes, recipeHistory, refreshRecipe } from "../api.js";
import { announce, h, show } from "../dom.js";
import { focusUnlessTyping } from "../focus.js";
import { formatLength, plural } from "../format.js";
import { playlistLink } from "../plex.js";
import { startRecipe, STARTS } from "../recipes/starts.js";
import {
  changeLabel,
  entryNotes,
  lastLabel,
  limitLabel,
  modeLabel,
  nextLabel,
  reasonLabel,
  refreshLabel,
  whenLabel,
} from "../recipes/words.js";
import { describeRule } from "../rules.js";
import { store } from "../state.js";

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * `root`: the view's section; `tabs`: the views' tabs (shown above it); `dialog`: the recipe
 * dialog; `keepCurrent()`: "Keep as a living playlist" from the page's current choice.
 */
export function createRecipesView(root, { tabs, dialog, keepCurrent }) {
  let recipes = null; // as the API last listed them
  let controller = null;
  const histories = new Map(); // id → entries, for the open histories
  const open = new Set(); // ids whose history is open
  const said = new Map(); // id → [text, kind] said under a recipe (a refresh's result, an error)
  const busy = new Set(); // ids with a request on its way
  let confirming = null; // the id whose delete is being asked
  let active = false;

  const heading = h("h1", { class: "recipes-title", id: "recipes-title", tabindex: "-1" }, "Living playlists");
  const intro = h(
    "p",
    { class: "muted recipes-intro" },
    "A living playlist is a rule that owns a Plex playlist: plexcrate keeps it fresh after each sync, daily, weekly or when you say.",
  );
  const keep = h("button", { type: "button", class: "btn btn-primary", id: "recipes-keep", onclick: () => keepCurrent() }, "Keep the current filters");
  const message = h("div", { class: "recipes-message", hidden: true });
  const list = h("ul", { class: "recipe-list", "aria-labelledby": "recipes-title", "aria-busy": "true" });
  const startsHeading = h("h2", { class: "recipes-subtitle", id: "starts-title" }, "Starting points");
  const starts = h("ul", { class: "start-list", "aria-labelledby": "starts-title" });
  root.append(
    tabs,
    h("div", { class: "recipes-head" }, h("div", { class: "recipes-head-text" }, heading, intro), keep),
    message,
    list,
    h("section", { class: "recipes-starts", "aria-labelledby": "starts-title" }, startsHeading, starts),
  );
  renderStarts([]);

  async function load({ focus = false } = {}) {
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    list.setAttribute("aria-busy", "true");
    try {
      const [answer] = await Promise.all([
        listRecipes({ signal }),
        ...[...open].map((id) => loadHistory(id, signal)),
      ]);
      recipes = answer.recipes;
      show(message, false);
      render();
    } catch (error) {
      if (isAbort(error)) return;
      showMessage(`Couldn't list the living playlists: ${error.message}`, true);
    } finally {
      if (!signal.aborted) {
        list.removeAttribute("aria-busy");
        controller = null;
        if (focus) focusUnlessTyping(heading);
      }
    }
  }

  async function loadHistory(id, signal) {
    try {
      histories.set(id, (await recipeHistory(id, { signal })).history);
    } catch (error) {
      if (isAbort(error)) throw error;
      histories.set(id, { error: error.message });
    }
  }

  function showMessage(text, retry = false) {
    message.replaceChildren(
      h("p", { class: "form-error", role: "alert" }, text),
      retry ? h("button", { type: "button", class: "btn btn-small", onclick: () => load() }, "Try again") : null,
    );
    show(message, true);
  }

  // --- drawing -------------------------------------------------------------------------------

  /** Draw the list again, keeping the focus on the same control (by its data-key). */
  function render() {
    const focusedKey = root.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const empty = recipes.length === 0;
    list.replaceChildren(
      ...(empty
        ? [h("li", { class: "recipes-empty" }, h("p", {}, "No living playlists yet."), h("p", { class: "muted" }, "Keep the current filters as one, or start from one of these."))]
        : recipes.map(card)),
    );
    root.classList.toggle("is-empty", empty);
    if (focusedKey) root.querySelector(`[data-key="${focusedKey}"]`)?.focus({ preventScroll: true });
  }

  function card(recipe) {
    const id = recipe.id;
    const key = (what) => `${what}-${id}`;
    const link = recipe.playlist_id != null ? playlistLink(store.status?.machine_identifier, recipe.playlist_id) : null;
    const titleId = `recipe-${id}-name`;
    const historyId = `recipe-${id}-history`;
    const isBusy = busy.has(id);
    const button = (what, label, onclick, extra = {}) =>
      h("button", { type: "button", class: "btn btn-small", dataset: { key: key(what) }, disabled: isBusy, onclick, ...extra }, label);
    const [sayText, sayKind] = said.get(id) ?? [null, null];
    const facts = [
      ["Refresh", refreshLabel(recipe.refresh)],
      ["Each refresh", modeLabel(recipe.mode)],
      ["Draws", `${capital(limitLabel(recipe.limit))}${recipe.sort === "random" ? ", at random" : ""}`],
      ["Last refresh", recipe.last ? `${lastLabel(recipe)} (${changeLabel(recipe.last)})` : lastLabel(recipe)],
      ["Next refresh", nextLabel(recipe)],
    ];
    return h(
      "li",
      { class: `recipe${recipe.paused ? " is-paused" : ""}`, dataset: { recipe: String(id) }, "aria-labelledby": titleId },
      h(
        "div",
        { class: "recipe-head" },
        h("h2", { class: "recipe-name", id: titleId }, recipe.name),
        recipe.paused ? h("span", { class: "badge badge-warn" }, "Paused") : null,
      ),
      h(
        "p",
        { class: "recipe-playlist" },
        link
          ? h("a", { href: link, target: "_blank", rel: "noopener", class: "recipe-playlist-link" }, recipe.playlist_title)
          : h("span", {}, recipe.playlist_title),
        h("span", { class: "recipe-numbers" }, ` · ${plural(recipe.track_count, "track")} · ${formatLength(recipe.duration_ms)}`),
      ),
      h("p", { class: "recipe-rule-text" }, capital(describeRule(recipe.rule))),
      h("dl", { class: "recipe-facts" }, facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value)))),
      recipe.paused ? h("p", { class: "builder-note recipe-why" }, `Paused: ${recipe.paused_why ?? "by hand"}`) : null,
      recipe.owed ? h("p", { class: "builder-note recipe-why" }, `A refresh is owed: ${recipe.owed}`) : null,
      h(
        "div",
        { class: "recipe-actions" },
        button("refresh", isBusy && said.get(id)?.[1] === "busy" ? "Refreshing…" : "Refresh now", () => refreshNow(recipe), {
          class: "btn btn-small btn-primary",
          disabled: isBusy || recipe.paused,
        }),
        button("edit", "Edit", () => dialog.edit(recipe)),
        button("pause", recipe.paused ? "Resume" : "Pause", () => setPaused(recipe, !recipe.paused)),
        button("delete", "Delete", () => askDelete(id)),
        h(
          "button",
          {
            type: "button",
            class: "btn btn-small btn-quiet",
            "aria-expanded": String(open.has(id)),
            "aria-controls": historyId,
            dataset: { key: key("history") },
            onclick: () => toggleHistory(id),
          },
          open.has(id) ? "Hide history" : "History",
        ),
      ),
      sayText && sayKind !== "busy"
        ? h("p", { class: sayKind === "error" ? "form-error" : "form-success", role: sayKind === "error" ? "alert" : "status", dataset: { said: key("said") } }, sayText)
        : null,
      confirming === id ? deleteBox(recipe) : null,
      open.has(id) ? historyList(id, historyId) : null,
    );
  }

  function deleteBox(recipe) {
    const id = recipe.id;
    const box = h("input", { type: "checkbox", id: `recipe-${id}-with-playlist` });
    return h(
      "div",
      { class: "confirm-box", role: "group", "aria-labelledby": `recipe-${id}-delete-text` },
      h("p", { id: `recipe-${id}-delete-text` }, `Delete the living playlist “${recipe.name}”? Unless you say so, its Plex playlist stays, as a plain playlist.`),
      h("div", { class: "choice-row" }, box, h("label", { for: `recipe-${id}-with-playlist` }, "Also delete the playlist in Plex")),
      h(
        "div",
        { class: "form-actions" },
        h("button", { type: "button", class: "btn btn-danger btn-small", dataset: { key: `confirm-delete-${id}` }, onclick: () => remove(recipe, box.checked) }, "Delete"),
        h("button", { type: "button", class: "btn btn-quiet btn-small", dataset: { key: `cancel-delete-${id}` }, onclick: () => cancelDelete(id) }, "Cancel"),
      ),
    );
  }

  function historyList(id, historyId) {
    const entries = histories.get(id);
    if (!entries) return h("p", { class: "muted", id: historyId }, "Loading the history…");
    if (entries.error) return h("p", { class: "form-error", id: historyId }, `Couldn't read the history: ${entries.error}`);
    if (!entries.length) return h("p", { class: "muted", id: historyId }, "No refresh yet.");
    return h(
      "ol",
      { class: "recipe-history", id: historyId, "aria-label": "History" },
      entries.map((entry) =>
        h(
          "li",
          { class: `history-entry${entry.error ? " has-error" : ""}` },
          h("span", { class: "history-when" }, h("time", { datetime: entry.at, title: entry.at }, whenLabel(entry.at))),
          h("span", { class: "history-why" }, reasonLabel(entry.reason)),
          h("span", { class: "history-change" }, entry.error ? "Failed" : changeLabel(entry)),
          ...entryNotes(entry).map((note) => h("span", { class: "history-note" }, note)),
          entry.error ? h("span", { class: "history-error" }, entry.error) : null,
        ),
      ),
    );
  }

  /** The starting points; `decades`: the library's, oldest first (`chosen` selected). */
  function renderStarts(decades, chosen = null) {
    const items = STARTS.map((start) => {
      const make = h("button", { type: "button", class: "btn btn-small", dataset: { start: start.id } }, "Make it");
      let select = null;
      if (start.decade) {
        select = h(
          "select",
          { class: "input input-small", id: "start-decade", "aria-label": "Decade" },
          decades.map((d) => h("option", { value: d, selected: d === chosen }, d)),
        );
        show(make, decades.length > 0);
      }
      make.addEventListener("click", () => dialog.create(startRecipe(start, select?.value), { heading: start.decade ? `Rediscover the ${select.value}` : start.name }));
      return h(
        "li",
        { class: "start" },
        h("h3", { class: "start-name" }, start.name),
        h("p", { class: "muted start-text" }, start.text),
        h("div", { class: "start-actions" }, select, make),
      );
    });
    starts.replaceChildren(...items);
  }

  async function loadDecades() {
    try {
      const stats = await getStats({}, { facets: [] });
      const decades = stats.decades ?? [];
      const biggest = decades.reduce((best, d) => (!best || d.count > best.count ? d : best), null);
      renderStarts(decades.map((d) => d.name), biggest?.name);
    } catch {
      renderStarts([]);
    }
  }

  // --- what the buttons do -------------------------------------------------------------------

  async function refreshNow(recipe) {
    const id = recipe.id;
    busy.add(id);
    said.set(id, ["", "busy"]);
    render();
    try {
      const result = await refreshRecipe(id);
      if (open.has(id)) histories.delete(id);
      said.set(id, [`Refreshed: ${changeLabel(result)}.`, "ok"]);
    } catch (error) {
      said.set(id, [`Couldn't refresh it: ${error.message}`, "error"]);
    }
    busy.delete(id);
    await load(); // the result is shown with the list it changed, once the buttons take clicks
    announce(said.get(id)?.[0] ?? "");
  }

  async function setPaused(recipe, paused) {
    const id = recipe.id;
    busy.add(id);
    render();
    try {
      await editRecipe(id, { paused });
      said.set(id, [paused ? "Paused: it is not refreshed until you resume it." : "Resumed.", "ok"]);
    } catch (error) {
      said.set(id, [`Couldn't ${paused ? "pause" : "resume"} it: ${error.message}`, "error"]);
    }
    busy.delete(id);
    await load();
  }

  function askDelete(id) {
    confirming = id;
    render();
    root.querySelector(`[data-key="cancel-delete-${id}"]`)?.focus();
  }

  function cancelDelete(id) {
    confirming = null;
    render();
    root.querySelector(`[data-key="delete-${id}"]`)?.focus();
  }

  async function remove(recipe, withPlaylist) {
    const id = recipe.id;
    busy.add(id);
    render();
    try {
      await deleteRecipe(id, { withPlaylist });
      confirming = null;
      said.delete(id);
      open.delete(id);
      busy.delete(id);
      await load();
      heading.focus();
      announce(withPlaylist ? `Deleted “${recipe.name}” and its Plex playlist.` : `Deleted “${recipe.name}”; its Plex playlist stays.`);
    } catch (error) {
      busy.delete(id);
      said.set(id, [`Couldn't delete it: ${error.message}`, "error"]);
      render();
    }
  }

  async function toggleHistory(id) {
    if (open.has(id)) {
      open.delete(id);
      render();
      return;
    }
    open.add(id);
    histories.delete(id);
    render();
    await loadHistory(id);
    if (open.has(id)) render();
  }

  store.on("status", ({ status, previous }) => {
    if (!active || !status || !previous) return;
    if (status.synced_at !== previous.synced_at || status.is_syncing !== previous.is_syncing) load();
  });

  return {
    /** Show the view (loading the recipes); `focus`: its heading takes the focus. */
    show({ focus = false } = {}) {
      const first = !active;
      active = true;
      show(root, true);
      document.title = "Living playlists · plexcrate";
      if (first) loadDecades();
      load({ focus });
    },
    hide() {
      active = false;
      controller?.abort();
      show(root, false);
    },
    /** A recipe was made or changed elsewhere (the dialog): list them again if shown. */
    changed(recipe, { edited } = {}) {
      if (recipe && edited) said.set(recipe.id, ["Saved.", "ok"]);
      if (active) load();
    },
  };
}

