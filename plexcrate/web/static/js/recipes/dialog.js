// The recipe dialog: "Keep as a living playlist" (a new recipe from a rule, the page's current
// choice or a starting point, prefilled with the builder's options) and a recipe's Edit. It
// asks the name, how long, when it refreshes and how; more options below (order, caps, one copy
// of each song, the playlist's own title). A new recipe makes its Plex playlist at once: the
// dialog then says where it is, with links to Plex and to the Recipes view.

import { createRecipe, editRecipe } from "../api.js";
import { h, setText, show } from "../dom.js";
import { formatLength, plural } from "../format.js";
import { openModal } from "../focus.js";
import { sortLabel } from "../labels.js";
import { playlistLink } from "../plex.js";
import { describeRule } from "../rules.js";
import { store } from "../state.js";
import { sorts } from "../vocabulary.js";
import { MODES, MODE_HINTS, REFRESH_KINDS, refreshLabel } from "./words.js";

const MAX_TRACKS = 5000;
const MAX_MINUTES = 6000;
const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/** `editRule(rule, apply)`: opens the rule editor (a recipe's Edit offers it). */
export function createRecipeDialog({ editRule = null, onSaved = () => {} } = {}) {
  const id = (name) => `recipe-${name}`;
  const title = h("h2", { class: "modal-title", id: id("title"), tabindex: "-1" });
  const ruleText = h("p", { class: "recipe-rule-text", id: id("rule") });
  const ruleButton = h("button", { type: "button", class: "btn btn-small", hidden: !editRule }, "Edit the rule…");
  const name = h("input", { type: "text", class: "input", id: id("name"), maxlength: "200", autocomplete: "off", required: true });
  const nameError = h("p", { class: "field-error", id: id("name-error"), hidden: true });
  const byTracks = h("input", { type: "radio", name: "recipe-length", id: id("by-tracks"), checked: true });
  const byMinutes = h("input", { type: "radio", name: "recipe-length", id: id("by-minutes") });
  const tracks = h("input", { type: "number", class: "input input-number", id: id("tracks"), min: "1", max: String(MAX_TRACKS), "aria-label": "Number of tracks" });
  const minutes = h("input", { type: "number", class: "input input-number", id: id("minutes"), min: "1", max: String(MAX_MINUTES), "aria-label": "Minutes" });
  const lengthError = h("p", { class: "field-error", hidden: true });
  const refresh = h(
    "select",
    { class: "input", id: id("refresh") },
    REFRESH_KINDS.map(([value, label]) => h("option", { value }, label)),
  );
  const modeRadios = MODES.map(([value]) => h("input", { type: "radio", name: "recipe-mode", id: id(`mode-${value}`), value }));
  const modeHint = h("p", { class: "hint", id: id("mode-hint") });
  const sort = h("select", { class: "input", id: id("sort") });
  const favour = h("input", { type: "checkbox", id: id("favour") });
  const perArtist = h("input", { type: "number", class: "input input-number", id: id("per-artist"), min: "1", max: String(MAX_TRACKS), placeholder: "any" });
  const perAlbum = h("input", { type: "number", class: "input input-number", id: id("per-album"), min: "1", max: String(MAX_TRACKS), placeholder: "any" });
  const dedupe = h("input", { type: "checkbox", id: id("dedupe") });
  const playlistTitle = h("input", { type: "text", class: "input", id: id("playlist-title"), maxlength: "200", autocomplete: "off" });
  const more = h(
    "details",
    { class: "recipe-more" },
    h("summary", {}, "More options"),
    h(
      "div",
      { class: "recipe-more-body" },
      h("div", { class: "field" }, h("label", { for: id("sort") }, "Order"), sort),
      h("div", { class: "choice-row" }, favour, h("label", { for: id("favour") }, "Favour higher ratings")),
      h("div", { class: "choice-row" }, h("label", { for: id("per-artist") }, "Tracks per artist, at most"), perArtist),
      h("div", { class: "choice-row" }, h("label", { for: id("per-album") }, "Tracks per album, at most"), perAlbum),
      h("div", { class: "choice-row" }, dedupe, h("label", { for: id("dedupe") }, "One copy of each song (the studio version, the better rated)")),
      h("div", { class: "field" }, h("label", { for: id("playlist-title") }, "Playlist title in Plex"), playlistTitle),
    ),
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary" });
  const cancel = h("button", { type: "button", class: "btn btn-quiet", onclick: () => hide() }, "Cancel");
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "recipe-form", novalidate: true, onsubmit: (event) => (event.preventDefault(), save()) },
    h("div", { class: "recipe-rule" }, h("p", { class: "recipe-rule-label" }, "Which tracks"), ruleText, ruleButton),
    h("div", { class: "field" }, h("label", { for: id("name") }, "Name"), name, nameError),
    h(
      "fieldset",
      { class: "field-group" },
      h("legend", {}, "How long"),
      h("div", { class: "choice-row" }, byTracks, h("label", { for: id("by-tracks") }, "Number of tracks"), tracks),
      h("div", { class: "choice-row" }, byMinutes, h("label", { for: id("by-minutes") }, "About this many minutes"), minutes),
      lengthError,
    ),
    h("div", { class: "field" }, h("label", { for: id("refresh") }, "Refresh"), refresh),
    h(
      "fieldset",
      { class: "field-group", "aria-describedby": id("mode-hint") },
      h("legend", {}, "Each refresh"),
      h(
        "div",
        { class: "segmented" },
        MODES.map(([value, label], i) => h("span", { class: "segment" }, modeRadios[i], h("label", { for: id(`mode-${value}`) }, label))),
      ),
      modeHint,
    ),
    more,
    error,
    h("div", { class: "form-actions" }, submit, cancel),
  );
  const done = h("div", { class: "recipe-done", hidden: true });
  const dialog = h(
    "div",
    { class: "modal recipe-dialog", role: "dialog", "aria-modal": "true", "aria-labelledby": id("title"), tabindex: "-1", id: "recipe-dialog" },
    title,
    form,
    done,
  );
  const backdrop = h("div", { class: "backdrop backdrop-center", hidden: true }, dialog);
  backdrop.addEventListener("click", (event) => event.target === backdrop && !busy && hide());
  document.body.append(backdrop);

  let close = null;
  let busy = false;
  let editing = null; // the recipe being edited, or null for a new one
  let rule = null;

  const syncLength = () => {
    tracks.disabled = !byTracks.checked;
    minutes.disabled = !byMinutes.checked;
  };
  byTracks.addEventListener("change", syncLength);
  byMinutes.addEventListener("change", syncLength);
  const syncMode = () => setText(modeHint, MODE_HINTS[modeRadios.find((r) => r.checked)?.value] ?? "");
  for (const radio of modeRadios) radio.addEventListener("change", syncMode);
  name.addEventListener("input", () => (name.removeAttribute("aria-invalid"), show(nameError, false)));
  ruleButton.addEventListener("click", () =>
    editRule?.(rule, (next) => {
      rule = next;
      setText(ruleText, capital(describeRule(rule)));
    }),
  );

  function fill(values) {
    sort.replaceChildren(
      ...sorts()
        .filter((s) => s !== "default")
        .map((s) => h("option", { value: s }, s === "random" ? "Random" : sortLabel(s))),
    );
    rule = values.rule;
    setText(ruleText, capital(describeRule(rule)));
    name.value = values.name ?? "";
    const byMin = values.limit?.minutes != null;
    byTracks.checked = !byMin;
    byMinutes.checked = byMin;
    tracks.value = String(values.limit?.tracks ?? 50);
    minutes.value = String(Math.round(values.limit?.minutes ?? 60));
    syncLength();
    refresh.value = values.refresh ?? "after_sync";
    for (const radio of modeRadios) radio.checked = radio.value === (values.mode ?? "update");
    syncMode();
    sort.value = values.sort ?? "random";
    favour.checked = Boolean(values.favour_rating);
    perArtist.value = values.max_per_artist ? String(values.max_per_artist) : "";
    perAlbum.value = values.max_per_album ? String(values.max_per_album) : "";
    dedupe.checked = Boolean(values.dedupe);
    playlistTitle.value = values.playlist_title ?? "";
    playlistTitle.placeholder = "The recipe's name";
    more.open = Boolean(values.max_per_album || values.dedupe || (values.playlist_title && values.playlist_title !== values.name));
    for (const el of [name, tracks, minutes]) el.removeAttribute("aria-invalid");
    show(nameError, false);
    show(lengthError, false);
    show(error, false);
  }

  /** The form as the API's body, or null (the fields at fault marked). */
  function read() {
    let ok = true;
    const wanted = name.value.trim();
    if (!wanted) {
      name.setAttribute("aria-invalid", "true");
      setText(nameError, "Give it a name.");
      show(nameError, true);
      ok = false;
    }
    const input = byTracks.checked ? tracks : minutes;
    const number = Number(input.value);
    const top = byTracks.checked ? MAX_TRACKS : MAX_MINUTES;
    if (!Number.isInteger(number) || number < 1 || number > top) {
      input.setAttribute("aria-invalid", "true");
      setText(lengthError, `A whole number from 1 to ${top.toLocaleString("en")}.`);
      show(lengthError, true);
      ok = false;
    } else {
      input.removeAttribute("aria-invalid");
      show(lengthError, false);
    }
    if (!ok) {
      (name.getAttribute("aria-invalid") ? name : input).focus();
      return null;
    }
    const cap = (el) => (el.value && Number(el.value) >= 1 ? Math.floor(Number(el.value)) : null);
    return {
      name: wanted,
      rule: rule ?? { all: [] },
      limit: byTracks.checked ? { tracks: number } : { minutes: number },
      sort: sort.value,
      favour_rating: favour.checked,
      max_per_artist: cap(perArtist),
      max_per_album: cap(perAlbum),
      dedupe: dedupe.checked,
      refresh: refresh.value,
      mode: modeRadios.find((r) => r.checked)?.value ?? "update",
      playlist_title: playlistTitle.value.trim() || wanted,
    };
  }

  async function save() {
    if (busy) return;
    const body = read();
    if (!body) return;
    busy = true;
    submit.disabled = true;
    show(error, false);
    setText(submit, editing ? "Saving…" : "Making the playlist…");
    dialog.setAttribute("aria-busy", "true");
    try {
      if (editing) {
        const saved = await editRecipe(editing.id, body);
        finish();
        hide();
        onSaved(saved, { edited: true });
      } else {
        const made = await createRecipe(body);
        finish();
        showDone(made);
        onSaved(made, { edited: false });
      }
    } catch (problem) {
      finish();
      setText(error, problem.message);
      show(error, true);
    }
  }

  function finish() {
    busy = false;
    submit.disabled = false;
    setText(submit, editing ? "Save changes" : "Keep as a living playlist");
    dialog.removeAttribute("aria-busy");
  }

  /** Where the new playlist is: in Plex (a link), and in the Recipes view. */
  function showDone(recipe) {
    const link = recipe.playlist_id != null ? playlistLink(store.status?.machine_identifier, recipe.playlist_id) : null;
    const what = recipe.playlist_id != null
      ? `“${recipe.playlist_title}” is in Plex now: ${plural(recipe.track_count, "track")}, ${formatLength(recipe.duration_ms)}.`
      : `“${recipe.name}” is kept; its Plex playlist is made as soon as Plex answers${recipe.owed ? ` (${recipe.owed})` : ""}.`;
    const when = recipe.refresh === "manual" ? "It refreshes when you say so." : `It refreshes ${refreshLabel(recipe.refresh).toLowerCase()}.`;
    const toRecipes = h("a", { class: "btn btn-primary", href: store.url({ name: "recipes" }), id: "recipe-done-recipes" }, "See it in Recipes");
    toRecipes.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      hide();
      store.navigate({ name: "recipes" });
    });
    done.replaceChildren(
      h("p", { class: "form-success", role: "status", id: "recipe-done-text" }, what),
      h("p", { class: "hint" }, when),
      h(
        "div",
        { class: "form-actions" },
        toRecipes,
        link ? h("a", { class: "btn", href: link, target: "_blank", rel: "noopener" }, "Open in Plex") : null,
        h("button", { type: "button", class: "btn btn-quiet", onclick: () => hide() }, "Done"),
      ),
    );
    setText(title, "Kept as a living playlist");
    show(form, false);
    show(done, true);
    toRecipes.focus();
  }

  function open(values, { recipe = null, heading = null } = {}) {
    editing = recipe;
    fill(values);
    setText(title, heading ?? (recipe ? `Edit “${recipe.name}”` : "Keep as a living playlist"));
    setText(submit, recipe ? "Save changes" : "Keep as a living playlist");
    show(ruleButton, Boolean(editRule));
    show(form, true);
    show(done, false);
    close = openModal(backdrop, dialog, { onEscape: () => !busy && hide(), initialFocus: name });
    name.select();
  }

  function hide() {
    close?.();
    close = null;
  }

  return {
    /** A new recipe from `values` ({name, rule, limit, …}). */
    create: (values, options = {}) => open(values, options),
    /** Edit a recipe (as GET /api/recipes gives it). */
    edit: (recipe) => open(recipe, { recipe }),
    close: hide,
  };
}
