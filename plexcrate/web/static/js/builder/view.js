// The playlist builder's elements: a side panel with the pick form, the preview and the save
// form, and the questions it asks (a name Plex already has; what a replace changes). It draws
// the state it is given and calls `on.*` for what the person does; it decides nothing.

import { h, setText, show } from "../dom.js";
import { formatCount, formatDuration, formatLength, plural } from "../format.js";
import { setArt, trackArt } from "../plex.js";
import { fewerThanAsked, totalMs } from "./state.js";

const OFFLINE = "Plex is offline, so saving is paused until it answers again. The preview stays here.";

/** `on`: pick, fill, swap(index), remove(index), save, mode, close, duplicate(choice), replace(ok), changed, keep. */
export function createBuilderView(on) {
  const source = h("p", { class: "builder-source" });
  const staleNote = h(
    "p",
    { class: "builder-note", hidden: true },
    "The filters changed since this preview; pick again to use them.",
  );

  const countInput = numberInput("pick-count", "Number of tracks");
  const minutesInput = numberInput("pick-minutes", "Minutes");
  const perArtist = numberInput("per-artist", "Tracks per artist, at most");
  const countError = fieldError(countInput);
  const minutesError = fieldError(minutesInput);
  const perArtistError = fieldError(perArtist);
  const byCount = h("input", { type: "radio", name: "length", id: "length-count" });
  const byMinutes = h("input", { type: "radio", name: "length", id: "length-minutes" });
  const favour = h("input", { type: "checkbox", id: "favour-rating" });
  // Its name reads the whole row: "At most 2 tracks per artist".
  const capArtists = h("input", { type: "checkbox", id: "cap-artists", "aria-labelledby": "cap-before per-artist cap-after" });
  const pickButton = h("button", { type: "submit", class: "btn btn-primary" }, "Pick tracks");
  const pickError = h("p", { class: "form-error", role: "alert", hidden: true });
  const keepNote = h("p", { class: "hint", id: "keep-note", hidden: true });

  const pickForm = h(
    "form",
    { class: "builder-section", id: "pick-form", novalidate: true, onsubmit: (e) => (e.preventDefault(), on.pick()) },
    h(
      "fieldset",
      { class: "field-group" },
      h("legend", {}, "How long"),
      choiceRow(byCount, "Number of tracks", countInput, countError),
      choiceRow(byMinutes, "About this many minutes", minutesInput, minutesError),
    ),
    choiceRow(favour, "Favour higher ratings"),
    h(
      "div",
      { class: "choice-row" },
      capArtists,
      h("label", { for: "cap-artists", id: "cap-before" }, "At most"),
      perArtist,
      h("label", { for: "cap-artists", id: "cap-after" }, "tracks per artist"),
      perArtistError,
    ),
    keepNote,
    h(
      "div",
      { class: "form-actions" },
      pickButton,
      h("button", { type: "button", class: "btn", id: "builder-keep", onclick: () => on.keep() }, "Keep as a living playlist"),
    ),
    pickError,
  );

  const summary = h("p", { class: "preview-summary", "aria-live": "polite", id: "preview-summary" });
  const list = h("ol", { class: "preview-list", "aria-labelledby": "preview-heading" });
  const topUp = h("button", { type: "button", class: "btn btn-small", hidden: true, onclick: () => on.fill() });
  const previewError = h("p", { class: "form-error", role: "alert", hidden: true });
  const shortNote = h("p", { class: "hint", hidden: true });
  const preview = h(
    "section",
    { class: "builder-section preview", "aria-labelledby": "preview-heading", hidden: true },
    h("div", { class: "section-head" }, h("h3", { id: "preview-heading", tabindex: "-1" }, "Preview"), summary),
    staleNote,
    shortNote,
    list,
    h("div", { class: "form-actions" }, topUp),
    previewError,
  );

  const modeNew = h("input", { type: "radio", name: "save-mode", id: "mode-new", value: "new", checked: true });
  const modeReplace = h("input", { type: "radio", name: "save-mode", id: "mode-replace", value: "replace" });
  const modeAppend = h("input", { type: "radio", name: "save-mode", id: "mode-append", value: "append" });
  const nameInput = h("input", { type: "text", id: "playlist-name", class: "input", maxlength: "200", autocomplete: "off", required: true });
  const nameField = h("div", { class: "field" }, h("label", { for: "playlist-name" }, "Name"), nameInput);
  const playlistSelect = h("select", { id: "playlist-target", class: "input" });
  const playlistHint = h("p", { class: "hint", hidden: true });
  const targetField = h(
    "div",
    { class: "field", hidden: true },
    h("label", { for: "playlist-target" }, "Playlist"),
    playlistSelect,
    playlistHint,
  );
  const saveButton = h("button", { type: "submit", class: "btn btn-primary", "aria-describedby": "save-offline" }, "Save to Plex");
  const saveOffline = h("p", { class: "builder-note", id: "save-offline", hidden: true }, OFFLINE);
  const saveResult = h("p", { class: "form-success", role: "status" });
  const saveError = h("p", { class: "form-error", role: "alert", hidden: true });

  const duplicateText = h("p", { id: "duplicate-text" });
  const duplicateBox = h(
    "div",
    { class: "confirm-box", role: "group", "aria-labelledby": "duplicate-text", hidden: true },
    duplicateText,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "button", class: "btn btn-primary", onclick: () => on.duplicate("second") }, "Save a second one"),
      h("button", { type: "button", class: "btn", onclick: () => on.duplicate("append") }, "Add to that one"),
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => on.duplicate(null) }, "Cancel"),
    ),
  );

  const replaceText = h("p", { id: "replace-text" });
  const replaceChanges = h("p", { class: "change-summary", id: "replace-changes" });
  const replaceConfirm = h("button", { type: "button", class: "btn btn-danger", onclick: () => on.replace(true) }, "Replace it");
  const replaceBox = h(
    "div",
    { class: "confirm-box", role: "group", "aria-labelledby": "replace-text", "aria-describedby": "replace-changes", hidden: true },
    replaceText,
    replaceChanges,
    h(
      "div",
      { class: "form-actions" },
      replaceConfirm,
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => on.replace(false) }, "Cancel"),
    ),
  );

  const saveForm = h(
    "form",
    {
      class: "builder-section",
      id: "save-form",
      novalidate: true,
      hidden: true,
      "aria-labelledby": "save-heading",
      onsubmit: (e) => (e.preventDefault(), on.save()),
    },
    h("h3", { id: "save-heading" }, "Save to Plex"),
    h(
      "fieldset",
      { class: "field-group segmented" },
      h("legend", { class: "visually-hidden" }, "Save as"),
      h("span", { class: "segment" }, modeNew, h("label", { for: "mode-new" }, "New playlist")),
      h("span", { class: "segment" }, modeReplace, h("label", { for: "mode-replace" }, "Replace one")),
      h("span", { class: "segment" }, modeAppend, h("label", { for: "mode-append" }, "Add to one")),
    ),
    nameField,
    targetField,
    h("div", { class: "form-actions" }, saveButton),
    saveOffline,
    saveError,
    duplicateBox,
    replaceBox,
    saveResult,
  );

  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close the playlist builder", onclick: () => on.close() },
    "×",
  );
  const drawer = h(
    "div",
    { class: "drawer", role: "dialog", "aria-modal": "true", "aria-labelledby": "builder-title", tabindex: "-1", id: "builder" },
    h("div", { class: "drawer-head" }, h("h2", { id: "builder-title" }, "Build a playlist"), closeButton),
    h("div", { class: "drawer-body" }, source, pickForm, preview, saveForm),
  );
  const backdrop = h("div", { class: "backdrop backdrop-side", hidden: true }, drawer);
  backdrop.addEventListener("click", (event) => event.target === backdrop && on.close());
  document.body.append(backdrop);

  // --- the form's own behaviour ---
  const syncLength = () => {
    countInput.disabled = !byCount.checked;
    minutesInput.disabled = !byMinutes.checked;
  };
  for (const radio of [byCount, byMinutes]) radio.addEventListener("change", () => (syncLength(), on.changed()));
  capArtists.addEventListener("change", () => {
    perArtist.disabled = !capArtists.checked;
    if (perArtist.disabled) clearFieldError(perArtist, perArtistError);
    on.changed();
  });
  favour.addEventListener("change", () => on.changed());
  for (const [input, error] of [[countInput, countError], [minutesInput, minutesError], [perArtist, perArtistError]]) {
    input.addEventListener("input", () => (clearFieldError(input, error), on.changed()));
  }
  for (const radio of [modeNew, modeReplace, modeAppend]) radio.addEventListener("change", () => on.mode());
  nameInput.addEventListener("input", () => (nameInput.removeAttribute("aria-invalid"), on.changed()));

  const ui = {
    backdrop, drawer, source, pickButton, pickError, topUp, previewError, list, saveButton, saveResult,
    saveError, nameInput, playlistSelect, playlistHint, countInput, minutesInput,

    /** The form's options as typed (text), for the state. */
    readForm: () => ({
      byMinutes: byMinutes.checked,
      count: countInput.value,
      minutes: minutesInput.value,
      favour: favour.checked,
      cap: capArtists.checked,
      perArtist: perArtist.value,
    }),

    /** Show the options the state holds. */
    writeForm(form) {
      byCount.checked = !form.byMinutes;
      byMinutes.checked = form.byMinutes;
      countInput.value = form.count;
      minutesInput.value = form.minutes;
      favour.checked = form.favour;
      capArtists.checked = form.cap;
      perArtist.value = form.perArtist;
      perArtist.disabled = !form.cap;
      syncLength();
    },

    /** The options as numbers, or null when a field needs fixing (its message says how). */
    options({ MAX_PICK, MAX_MINUTES, MAX_PER_ARTIST }) {
      const checks = [
        byCount.checked && [countInput, countError, MAX_PICK, "track"],
        byMinutes.checked && [minutesInput, minutesError, MAX_MINUTES, "minute"],
        capArtists.checked && [perArtist, perArtistError, MAX_PER_ARTIST, "track per artist", "tracks per artist"],
      ].filter(Boolean);
      const invalid = checks.filter(([input, error, max, one, many]) => !checkField(input, error, max, one, many));
      if (invalid.length) {
        invalid[0][0].focus();
        return null;
      }
      return {
        byMinutes: byMinutes.checked,
        count: byCount.checked ? Number(countInput.value.trim()) : 50,
        minutes: byMinutes.checked ? Number(minutesInput.value.trim()) : 60,
        favour_rating: favour.checked,
        max_per_artist: capArtists.checked ? Number(perArtist.value.trim()) : null,
      };
    },

    mode: () => (modeReplace.checked ? "replace" : modeAppend.checked ? "append" : "new"),

    showMode(mode) {
      show(nameField, mode === "new");
      show(targetField, mode !== "new");
    },

    /** The preview, its summary, the top-up button and its notes. */
    renderPreview(state, { stale, handlers }) {
      const { tracks, pickedFor, exhausted, available, manual } = state;
      show(preview, true);
      show(saveForm, tracks.length > 0);
      hideMessage(previewError);
      const ms = totalMs(tracks);
      const byHand = tracks.filter((t) => manual.has(t.rating_key)).length;
      const length = `${plural(tracks.length, "track")} · ${formatLength(ms)}`;
      setText(summary, tracks.length ? length : "No tracks match these filters.");
      list.replaceChildren(...tracks.map((track, index) => previewRow(track, index, manual.has(track.rating_key), handlers)));
      const opts = pickedFor?.opts;
      const short = opts && !opts.byMinutes ? opts.count - tracks.length : 0;
      const shortMinutes = opts && opts.byMinutes ? Math.round((opts.minutes * 60000 - ms) / 60000) : 0;
      if (short > 0 && tracks.length > 0) setText(topUp, `Add ${plural(short, "more track")}`);
      else if (shortMinutes >= 2 && tracks.length > 0) setText(topUp, `Add about ${shortMinutes} more minutes`);
      show(topUp, (short > 0 || shortMinutes >= 2) && tracks.length > 0 && !exhausted);
      const fewer = exhausted && opts && !opts.manual ? fewerThanAsked(opts, available) : "";
      setText(shortNote, fewer);
      show(shortNote, Boolean(fewer));
      show(staleNote, stale);
      setText(pickButton, pickedFor && !pickedFor.opts.manual ? "Pick again" : "Pick tracks");
      setText(keepNote, byHand ? `The ${plural(byHand, "track")} you added by hand stay${byHand === 1 ? "s" : ""} and count toward the length.` : "");
      show(keepNote, byHand > 0);
    },

    setSource(text) {
      setText(source, text);
    },

    setOffline(offline) {
      saveButton.disabled = offline;
      show(saveOffline, offline);
    },

    /** The playlists Plex has, in the target list (smart ones shown, not choosable). */
    renderPlaylists(playlists, selectedId) {
      const usable = playlists.filter((p) => !p.smart);
      playlistSelect.disabled = usable.length === 0;
      playlistSelect.replaceChildren(
        ...(usable.length ? [] : [h("option", { value: "" }, "No playlists yet")]),
        ...playlists.map((p) =>
          h(
            "option",
            { value: String(p.id), disabled: p.smart, selected: p.id === selectedId },
            p.smart ? `${p.title} (smart playlist)` : `${p.title} (${plural(p.item_count, "track")})`,
          ),
        ),
      );
      show(playlistHint, !usable.length);
      if (!usable.length) setText(playlistHint, "There are no regular playlists on Plex yet: save this one as a new playlist.");
    },

    playlistsLoading() {
      playlistSelect.replaceChildren(h("option", { value: "" }, "Loading playlists…"));
      playlistSelect.disabled = true;
      show(playlistHint, false);
    },

    playlistsFailed(message) {
      playlistSelect.replaceChildren(h("option", { value: "" }, "Couldn't load playlists"));
      setText(playlistHint, message);
      show(playlistHint, true);
    },

    askDuplicate(title) {
      setText(duplicateText, `Plex already has a playlist called “${title}”. Make a second one with the same name?`);
      show(duplicateBox, true);
      duplicateBox.querySelector("button")?.focus();
    },

    closeDuplicate: () => show(duplicateBox, false),

    /** "Replace “Road trip”?" with what changes: −10 +5, and what it will hold. */
    askReplace(title, before, change, after) {
      setText(replaceText, `Replace the ${plural(before, "track")} of “${title}” on Plex with this preview?`);
      replaceChanges.replaceChildren(
        h("span", { class: "change-removed", "aria-label": `${formatCount(change.removed)} removed` }, `−${formatCount(change.removed)}`),
        " ",
        h("span", { class: "change-added", "aria-label": `${formatCount(change.added)} added` }, `+${formatCount(change.added)}`),
        h(
          "span",
          { class: "change-rest" },
          ` · ${change.kept ? `${formatCount(change.kept)} stay · ` : ""}${plural(after, "track")} after`,
        ),
      );
      show(replaceBox, true);
      replaceConfirm.focus();
    },

    closeReplace: () => show(replaceBox, false),

    /** The busy look of a button while `work` runs (and of the panel). */
    busy(button, label, on) {
      if (on) {
        button?.setAttribute("aria-disabled", "true");
        button?.classList.add("is-busy");
        if (button && label) button.textContent = label;
        drawer.setAttribute("aria-busy", "true");
      } else {
        drawer.removeAttribute("aria-busy");
        if (button && button.isConnected) {
          button.removeAttribute("aria-disabled");
          button.classList.remove("is-busy");
        }
      }
    },

    focusRow(index, which) {
      const row = list.children[Math.min(index, list.children.length - 1)];
      (row?.querySelector(which) || document.getElementById("preview-heading"))?.focus?.();
    },

    firstField: () => (countInput.disabled ? minutesInput : countInput),
  };
  return ui;
}

function previewRow(track, index, byHand, { swap, remove }) {
  const meta = [track.artist, track.album, track.year].filter(Boolean).join(" · ");
  const live = track.is_live ? h("span", { class: "badge badge-live" }, "Live") : null;
  const hand = byHand ? h("span", { class: "badge badge-hand", title: "Added by hand: stays when you pick again" }, "By hand") : null;
  const art = h("img", { alt: "", width: "40", height: "40", loading: "lazy", decoding: "async" });
  art.addEventListener("load", () => art.classList.add("is-loaded"));
  setArt(art, trackArt(track, 64));
  return h(
    "li",
    { class: `preview-track${byHand ? " is-hand" : ""}`, dataset: { ratingKey: String(track.rating_key) } },
    h("span", { class: "preview-index", "aria-hidden": "true" }, String(index + 1)),
    h("span", { class: "track-art" }, art),
    h(
      "span",
      { class: "track-text" },
      h("span", { class: "track-title" }, h("span", { class: "track-title-text" }, track.title), live, hand),
      h("span", { class: "track-meta" }, meta),
    ),
    h("span", { class: "track-duration" }, formatDuration(track.duration_ms)),
    h(
      "span",
      { class: "preview-actions" },
      h(
        "button",
        {
          type: "button",
          class: "icon-button swap",
          "aria-label": `Swap “${track.title}” for another track`,
          title: "Swap for another track",
          onclick: () => swap(index),
        },
        "↻",
      ),
      h(
        "button",
        { type: "button", class: "icon-button remove", "aria-label": `Remove “${track.title}”`, title: "Remove", onclick: () => remove(index) },
        "×",
      ),
    ),
  );
}

// A text field, not type="number": what was typed is what gets checked (a number field hides
// "abc" and turns "1e3" into a number), with the phone's digit keyboard all the same.
function numberInput(id, label) {
  return h("input", { type: "text", id, class: "input input-number", "aria-label": label, inputmode: "numeric", autocomplete: "off" });
}

/** The message beside a number field, tied to it for screen readers. */
function fieldError(input) {
  const error = h("span", { class: "field-error", id: `${input.id}-error`, hidden: true });
  input.setAttribute("aria-describedby", error.id);
  return error;
}

/** Whether the field holds a whole number from 1 to `max`; if not, say so beside it. */
function checkField(input, error, max, one, many = `${one}s`) {
  const text = input.value.trim();
  const range = `from 1 to ${formatCount(max)}`;
  let problem = "";
  if (!text) problem = `Type a number ${range}.`;
  else if (!/^\d+$/.test(text)) problem = `“${text.slice(0, 24)}” is not a whole number: type one ${range}.`;
  else if (Number(text) < 1) problem = `At least 1 ${one}.`;
  else if (Number(text) > max) problem = `At most ${formatCount(max)} ${many}.`;
  if (problem) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  setText(error, problem);
  show(error, Boolean(problem));
  return !problem;
}

function clearFieldError(input, error) {
  input.removeAttribute("aria-invalid");
  setText(error, "");
  show(error, false);
}

function choiceRow(input, label, ...rest) {
  return h("div", { class: "choice-row" }, input, h("label", { for: input.id }, label), ...rest);
}

export function showMessage(el, text) {
  setText(el, text);
  show(el, true);
}

export function hideMessage(el) {
  setText(el, "");
  show(el, false);
}
