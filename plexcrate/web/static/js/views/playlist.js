// The playlist builder, a side panel over the library: pick N random tracks from the current
// filters (or about M minutes of them), optionally favouring higher ratings and capping tracks
// per artist; preview them, swap or remove some, top the list up again, add tracks from the
// list by hand; then save it to Plex as a new playlist, or replace or add to an existing one.
//
// Numbers are read as typed: a value out of range, or no number at all, gets a message beside
// its field (never a silent correction). Saving needs Plex: with Plex offline the button is
// off and says why. A new playlist with a name Plex already has asks before making a second.

import { ApiError, listPlaylists, previewPlaylist, savePlaylist } from "../api.js";
import { $, announce, h, setText, show } from "../dom.js";
import { describeFilters } from "../labels.js";
import { filterBody } from "../vocabulary.js";
import { formatCount, formatDuration, formatLength, minRatingLabel, plural } from "../format.js";
import { openModal } from "../focus.js";
import { setArt, trackArt } from "../plex.js";
import { sameFilters, store } from "../state.js";

const MAX_PICK = 1000;
const MAX_MINUTES = 6000;
const MAX_PER_ARTIST = 100;
const OFFLINE = "Plex is offline, so saving is paused until it answers again. The preview stays here.";

/** A name that says what the playlist holds: "Rock & Jazz · 1990s · 4 stars or more". */
export function suggestName(filters) {
  const parts = [];
  const few = (values) => (values.length > 2 ? `${values.slice(0, 2).join(", ")} & more` : values.join(" & "));
  for (const name of ["genre", "style", "mood"]) if (filters[name]?.length) parts.push(few(filters[name]));
  if (filters.artist?.length) parts.push(few(filters.artist));
  if (filters.decade.length) parts.push([...filters.decade].sort().join(", "));
  if (filters.min_rating) parts.push(minRatingLabel(filters.min_rating));
  if (filters.q) parts.push(`“${filters.q}”`);
  return parts.length ? parts.join(" · ") : "plexcrate mix";
}

export function createPlaylistBuilder({ matchingCount, onChange = () => {} }) {
  // --- state ---
  let tracks = []; // the preview
  let excluded = new Set(); // removed or swapped out: never picked again for this preview
  let pickedFor = null; // the filters and options the preview was picked with
  let playlists = null; // Plex's playlists, once asked for
  let lastSuggestion = "";
  let exhausted = false; // the filters hold no more tracks than the preview has (or had)
  let available = 0; // how many the filters and options gave, when that was fewer than asked
  let close = null;
  let busy = false;

  // --- elements ---
  const source = h("p", { class: "builder-source" });
  const staleNote = h(
    "p",
    { class: "builder-note", hidden: true },
    "The filters changed since this preview; pick again to use them.",
  );

  const countInput = numberInput("pick-count", "Number of tracks", { value: 50 });
  const minutesInput = numberInput("pick-minutes", "Minutes", { value: 60, disabled: true });
  const perArtist = numberInput("per-artist", "Tracks per artist, at most", { value: 2, disabled: true });
  const countError = fieldError(countInput);
  const minutesError = fieldError(minutesInput);
  const perArtistError = fieldError(perArtist);
  const byCount = h("input", { type: "radio", name: "length", id: "length-count", checked: true });
  const byMinutes = h("input", { type: "radio", name: "length", id: "length-minutes" });
  const favour = h("input", { type: "checkbox", id: "favour-rating" });
  // Its name reads the whole row: "At most 2 tracks per artist".
  const capArtists = h("input", {
    type: "checkbox",
    id: "cap-artists",
    "aria-labelledby": "cap-before per-artist cap-after",
  });
  const pickButton = h("button", { type: "submit", class: "btn btn-primary" }, "Pick tracks");
  const pickError = h("p", { class: "form-error", role: "alert", hidden: true });

  const pickForm = h(
    "form",
    { class: "builder-section", id: "pick-form", novalidate: true, onsubmit: (e) => (e.preventDefault(), pick()) },
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
    h("div", { class: "form-actions" }, pickButton),
    pickError,
  );

  const summary = h("p", { class: "preview-summary", "aria-live": "polite", id: "preview-summary" });
  const list = h("ol", { class: "preview-list", "aria-labelledby": "preview-heading" });
  const topUp = h("button", { type: "button", class: "btn btn-small", hidden: true, onclick: () => fill() });
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
  const nameInput = h("input", {
    type: "text",
    id: "playlist-name",
    class: "input",
    maxlength: "200",
    autocomplete: "off",
    required: true,
  });
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
  const saveButton = h(
    "button",
    { type: "submit", class: "btn btn-primary", "aria-describedby": "save-offline" },
    "Save to Plex",
  );
  const saveOffline = h("p", { class: "builder-note", id: "save-offline", hidden: true }, OFFLINE);
  const saveResult = h("p", { class: "form-success", role: "status" });
  const saveError = h("p", { class: "form-error", role: "alert", hidden: true });
  const duplicateText = h("p", {});
  const duplicateBox = h(
    "div",
    { class: "confirm-box", role: "group", "aria-labelledby": "duplicate-text", hidden: true },
    duplicateText,
    h(
      "div",
      { class: "form-actions" },
      h("button", { type: "button", class: "btn btn-primary", onclick: () => saveDuplicate() }, "Save a second one"),
      h("button", { type: "button", class: "btn", onclick: () => appendToDuplicate() }, "Add to that one"),
      h("button", { type: "button", class: "btn btn-quiet", onclick: () => closeDuplicate() }, "Cancel"),
    ),
  );
  duplicateText.id = "duplicate-text";
  const saveForm = h(
    "form",
    {
      class: "builder-section",
      id: "save-form",
      novalidate: true,
      hidden: true,
      "aria-labelledby": "save-heading",
      onsubmit: (e) => (e.preventDefault(), save()),
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
    saveResult,
  );

  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close the playlist builder", onclick: () => hide() },
    "×",
  );
  const drawer = h(
    "div",
    {
      class: "drawer",
      role: "dialog",
      "aria-modal": "true",
      "aria-labelledby": "builder-title",
      tabindex: "-1",
      id: "builder",
    },
    h("div", { class: "drawer-head" }, h("h2", { id: "builder-title" }, "Build a playlist"), closeButton),
    h("div", { class: "drawer-body" }, source, pickForm, preview, saveForm),
  );
  const backdrop = h("div", { class: "backdrop backdrop-side", hidden: true }, drawer);
  backdrop.addEventListener("click", (event) => event.target === backdrop && hide());
  document.body.append(backdrop);

  // --- form behaviour ---
  for (const radio of [byCount, byMinutes]) {
    radio.addEventListener("change", () => {
      countInput.disabled = !byCount.checked;
      minutesInput.disabled = !byMinutes.checked;
    });
  }
  capArtists.addEventListener("change", () => {
    perArtist.disabled = !capArtists.checked;
    if (perArtist.disabled) clearFieldError(perArtist, perArtistError);
  });
  for (const [input, error] of [[countInput, countError], [minutesInput, minutesError], [perArtist, perArtistError]]) {
    input.addEventListener("input", () => clearFieldError(input, error));
  }
  for (const radio of [modeNew, modeReplace, modeAppend]) radio.addEventListener("change", onMode);
  nameInput.addEventListener("input", () => nameInput.removeAttribute("aria-invalid"));

  /** The options as typed, or null when a field needs fixing (its message says how). */
  function options() {
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
  }

  /** `keep`: the tracks the preview holds (not picked again, and counted toward the artist
   * cap by the server); `exclude`: the ones removed from it (never picked again). */
  function request(opts, { count, targetMinutes, exclude, keep = [] }) {
    return previewPlaylist({
      filters: filterBody(store.filters),
      count,
      favour_rating: opts.favour_rating,
      max_per_artist: opts.max_per_artist,
      target_minutes: targetMinutes ?? null,
      exclude: [...exclude],
      keep: [...keep],
      seed: null,
    });
  }

  async function pick() {
    if (busy) return;
    const opts = options();
    if (!opts) return;
    await run(pickButton, "Picking…", pickError, async () => {
      const body = await request(opts, {
        count: opts.byMinutes ? MAX_PICK : opts.count,
        targetMinutes: opts.byMinutes ? opts.minutes : null,
        exclude: [],
      });
      tracks = body.tracks;
      excluded = new Set();
      pickedFor = { filters: store.filters, opts };
      exhausted = opts.byMinutes ? totalMs() < opts.minutes * 60000 : tracks.length < opts.count;
      available = exhausted ? (opts.byMinutes ? totalMs() : tracks.length) : 0;
      renderPreview();
      setText(pickButton, "Pick again");
      if (!nameInput.value || nameInput.value === lastSuggestion) {
        lastSuggestion = suggestName(store.filters);
        nameInput.value = lastSuggestion;
      }
    });
  }

  /** Top the preview up to the wanted length, keeping what is there. */
  async function fill() {
    if (busy || !pickedFor) return;
    const opts = pickedFor.opts;
    const missingMs = opts.minutes * 60000 - totalMs();
    const missing = opts.byMinutes ? MAX_PICK - tracks.length : opts.count - tracks.length;
    if (missing <= 0 || (opts.byMinutes && missingMs <= 0)) return;
    await run(topUp, "Adding…", previewError, async () => {
      const body = await request(opts, {
        count: Math.min(MAX_PICK, missing),
        targetMinutes: opts.byMinutes ? Math.max(1, Math.ceil(missingMs / 60000)) : null,
        exclude: excluded,
        keep: tracks.map((t) => t.rating_key),
      });
      const added = opts.byMinutes ? body.tracks : body.tracks.slice(0, missing);
      if (!opts.byMinutes && added.length < missing) {
        exhausted = true;
        available = tracks.length + added.length;
      }
      if (!added.length) {
        exhausted = true;
        renderPreview();
        throw new Error("No more tracks match these filters.");
      }
      tracks = [...tracks, ...added];
      renderPreview();
    });
  }

  async function swap(index) {
    if (busy) return;
    const old = tracks[index];
    const opts = pickedFor.opts;
    const button = list.children[index]?.querySelector(".swap");
    await run(button, null, previewError, async () => {
      const others = tracks.filter((_, i) => i !== index);
      const body = await request(opts, {
        count: 1,
        exclude: [...excluded, old.rating_key],
        keep: others.map((t) => t.rating_key),
      });
      const [replacement] = body.tracks;
      if (!replacement) {
        exhausted = true;
        throw new Error("No other track matches these filters.");
      }
      excluded.add(old.rating_key);
      tracks = [...tracks.slice(0, index), replacement, ...tracks.slice(index + 1)];
      renderPreview();
      list.children[index]?.querySelector(".swap")?.focus();
    });
  }

  function remove(index) {
    excluded.add(tracks[index].rating_key);
    tracks = tracks.filter((_, i) => i !== index);
    renderPreview();
    const next = list.children[Math.min(index, tracks.length - 1)];
    (next?.querySelector(".remove") || $("#preview-heading")).focus?.();
  }

  function previewRow(track, index) {
    const meta = [track.artist, track.album, track.year].filter(Boolean).join(" · ");
    const live = track.is_live ? h("span", { class: "badge badge-live" }, "Live") : null;
    const art = h("img", { alt: "", width: "40", height: "40", loading: "lazy", decoding: "async" });
    art.addEventListener("load", () => art.classList.add("is-loaded"));
    setArt(art, trackArt(track, 64));
    return h(
      "li",
      { class: "preview-track", dataset: { ratingKey: String(track.rating_key) } },
      h("span", { class: "preview-index", "aria-hidden": "true" }, String(index + 1)),
      h("span", { class: "track-art" }, art),
      h(
        "span",
        { class: "track-text" },
        h("span", { class: "track-title" }, h("span", { class: "track-title-text" }, track.title), live),
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
          {
            type: "button",
            class: "icon-button remove",
            "aria-label": `Remove “${track.title}”`,
            title: "Remove",
            onclick: () => remove(index),
          },
          "×",
        ),
      ),
    );
  }

  function totalMs() {
    return tracks.reduce((sum, t) => sum + (t.duration_ms || 0), 0);
  }

  function renderPreview() {
    show(preview, true);
    show(saveForm, tracks.length > 0);
    hideMessage(previewError);
    const length = `${plural(tracks.length, "track")} · ${formatLength(totalMs())}`;
    setText(summary, tracks.length ? length : "No tracks match these filters.");
    list.replaceChildren(...tracks.map((track, index) => previewRow(track, index)));
    const opts = pickedFor?.opts;
    const short = opts && !opts.byMinutes ? opts.count - tracks.length : 0;
    const shortMinutes = opts && opts.byMinutes ? Math.round((opts.minutes * 60000 - totalMs()) / 60000) : 0;
    if (short > 0 && tracks.length > 0) setText(topUp, `Add ${plural(short, "more track")}`);
    else if (shortMinutes >= 2 && tracks.length > 0) setText(topUp, `Add about ${shortMinutes} more minutes`);
    show(topUp, (short > 0 || shortMinutes >= 2) && tracks.length > 0 && !exhausted);
    const fewer = exhausted && opts && !opts.manual ? fewerThanAsked(opts) : "";
    setText(shortNote, fewer);
    show(shortNote, Boolean(fewer));
    const picked = pickedFor && !pickedFor.opts.manual;
    show(staleNote, Boolean(picked) && !sameFilters(pickedFor.filters, store.filters));
    onChange(tracks.length);
  }

  /** Why the preview is shorter than asked, in words; "" when the filters had nothing at all. */
  function fewerThanAsked(opts) {
    if (!available) return "";
    const options = opts.max_per_artist || opts.favour_rating ? "filters and options" : "filters";
    if (opts.byMinutes) {
      return `Only ${formatLength(available)} of tracks match these ${options}, ` +
        `not the ${formatCount(opts.minutes)} minutes asked for.`;
    }
    return `Only ${plural(available, "track")} ${available === 1 ? "matches" : "match"} these ` +
      `${options}, not the ${formatCount(opts.count)} asked for.`;
  }

  // --- saving ---
  function mode() {
    return modeReplace.checked ? "replace" : modeAppend.checked ? "append" : "new";
  }

  async function onMode() {
    const m = mode();
    show(nameField, m === "new");
    show(targetField, m !== "new");
    hideMessage(saveError);
    if (m !== "new" && playlists === null) await loadPlaylists();
  }

  async function loadPlaylists() {
    playlistSelect.replaceChildren(h("option", { value: "" }, "Loading playlists…"));
    playlistSelect.disabled = true;
    show(playlistHint, false);
    try {
      const body = await listPlaylists();
      playlists = body.playlists;
      renderPlaylists();
    } catch (error) {
      playlists = null;
      playlistSelect.replaceChildren(h("option", { value: "" }, "Couldn't load playlists"));
      setText(playlistHint, error.message);
      show(playlistHint, true);
    }
  }

  function renderPlaylists(selectedId) {
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
    if (!usable.length) {
      setText(playlistHint, "There are no regular playlists on Plex yet: save this one as a new playlist.");
      show(playlistHint, true);
    }
  }

  async function save({ allowDuplicate = false } = {}) {
    if (busy || !tracks.length || plexOffline()) return;
    const m = mode();
    hideMessage(saveError);
    closeDuplicate();
    setText(saveResult, "");
    let title = nameInput.value.trim();
    let playlistId = null;
    if (m === "new" && !title) {
      nameInput.setAttribute("aria-invalid", "true");
      showMessage(saveError, "Give the playlist a name.");
      nameInput.focus();
      return;
    }
    if (m !== "new") {
      playlistId = Number.parseInt(playlistSelect.value, 10);
      const target = playlists?.find((p) => p.id === playlistId);
      if (!target) {
        showMessage(saveError, "Pick the playlist to " + (m === "replace" ? "replace." : "add to."));
        playlistSelect.focus();
        return;
      }
      title = target.title;
    }
    await send({ title, mode: m, playlist_id: playlistId, allow_duplicate: allowDuplicate }, playlistId);
  }

  /** Save the preview as `request` says; a new playlist's name that Plex has asks first. */
  async function send(request, selectedId = null) {
    const count = tracks.length;
    await run(saveButton, "Saving…", saveError, async () => {
      const keys = tracks.map((t) => t.rating_key);
      let saved;
      try {
        saved = await savePlaylist({ ...request, rating_keys: keys });
      } catch (error) {
        if (error instanceof ApiError && error.status === 409 && error.body?.duplicate_of) {
          askDuplicate(request.title, error.body.duplicate_of);
          return;
        }
        throw error;
      }
      const message =
        request.mode === "append"
          ? `Added ${plural(count, "track")} to “${saved.title}” on Plex ` +
            `(${plural(saved.item_count, "track")} now).`
          : request.mode === "replace"
            ? `Replaced “${saved.title}” on Plex: ${plural(saved.item_count, "track")}.`
            : `Saved “${saved.title}” to Plex: ${plural(saved.item_count, "track")}.`;
      // Plex answers 200 and leaves out tracks it no longer has: say so, never a silent success.
      const dropped = saved.not_added?.length ?? 0;
      const note = dropped ? ` Plex left out ${plural(dropped, "track")} of these: it no longer has them.` : "";
      setText(saveResult, message + note);
      if (playlists !== null) {
        const others = playlists.filter((p) => p.id !== saved.id);
        playlists = [...others, { ...saved, smart: false }].sort((a, b) => a.title.localeCompare(b.title));
        renderPlaylists(selectedId);
      }
      savedListeners.forEach((listener) => listener(saved));
    });
  }

  // --- a name Plex already has ---
  let duplicate = null; // { title, id }

  function askDuplicate(title, id) {
    duplicate = { title, id };
    setText(duplicateText, `Plex already has a playlist called “${title}”. Make a second one with the same name?`);
    show(duplicateBox, true);
    duplicateBox.querySelector("button")?.focus();
  }

  function closeDuplicate() {
    duplicate = null;
    show(duplicateBox, false);
  }

  async function saveDuplicate() {
    const wanted = duplicate;
    closeDuplicate();
    if (wanted) await send({ title: wanted.title, mode: "new", playlist_id: null, allow_duplicate: true });
  }

  async function appendToDuplicate() {
    const wanted = duplicate;
    closeDuplicate();
    if (wanted) await send({ title: wanted.title, mode: "append", playlist_id: wanted.id }, wanted.id);
  }

  // --- Plex offline: saving is off, and says why ---
  function plexOffline() {
    return store.status?.plex_connected === false;
  }

  function renderOffline() {
    const offline = plexOffline();
    saveButton.disabled = offline;
    show(saveOffline, offline);
  }

  store.on("status", renderOffline);

  // --- tracks added from the list, one by one ---
  function addTracks(chosen) {
    const held = new Set(tracks.map((t) => t.rating_key));
    const fresh = chosen.filter((t) => !held.has(t.rating_key));
    if (!fresh.length) {
      announce(
        chosen.length === 1
          ? `“${chosen[0].title}” is already in the playlist preview.`
          : `All ${plural(chosen.length, "track")} are already in the playlist preview.`,
      );
      return;
    }
    for (const track of fresh) excluded.delete(track.rating_key);
    tracks = [...tracks, ...fresh];
    if (!pickedFor) {
      const opts = { manual: true, byMinutes: false, count: 0, minutes: 60, favour_rating: false, max_per_artist: null };
      pickedFor = { filters: store.filters, opts };
    }
    if (pickedFor.opts.manual) pickedFor.opts.count = tracks.length;
    renderPreview();
    if (!nameInput.value) {
      lastSuggestion = suggestName(store.filters);
      nameInput.value = lastSuggestion;
    }
    const what = fresh.length === 1 ? `“${fresh[0].title}”` : plural(fresh.length, "track");
    announce(`Added ${what} to the playlist preview: ${plural(tracks.length, "track")}.`);
  }

  const savedListeners = [];

  // --- helpers ---
  async function run(button, busyLabel, errorEl, work) {
    busy = true;
    hideMessage(errorEl);
    const label = button?.textContent;
    if (button) {
      button.setAttribute("aria-disabled", "true");
      button.classList.add("is-busy");
      if (busyLabel) button.textContent = busyLabel;
    }
    drawer.setAttribute("aria-busy", "true");
    try {
      await work();
    } catch (error) {
      showMessage(errorEl, error.message);
    } finally {
      busy = false;
      drawer.removeAttribute("aria-busy");
      if (button && button.isConnected) {
        button.removeAttribute("aria-disabled");
        button.classList.remove("is-busy");
        if (busyLabel && button.textContent === busyLabel) button.textContent = label;
      }
    }
  }

  function show_() {
    const total = matchingCount();
    const from = total == null ? "the" : formatCount(total);
    setText(source, `From ${from} matching tracks: ${describeFilters(store.filters).join(" · ")}.`);
    if (tracks.length || pickedFor) renderPreview();
    if (!nameInput.value || nameInput.value === lastSuggestion) {
      lastSuggestion = suggestName(store.filters);
      nameInput.value = lastSuggestion;
    }
    renderOffline();
    const first = countInput.disabled ? minutesInput : countInput;
    close = openModal(backdrop, drawer, { onEscape: hide, initialFocus: first });
  }

  function hide() {
    if (close) close();
    close = null;
  }

  return {
    open: show_,
    close: hide,
    addTracks,
    /** The preview's tracks, in order (a copy). */
    get tracks() {
      return [...tracks];
    },
    /** Call `listener(playlist)` whenever the builder saved to Plex. */
    onSaved(listener) {
      savedListeners.push(listener);
    },
    /** Plex's playlists changed elsewhere: list them again before offering them. */
    forgetPlaylists() {
      playlists = null;
      if (mode() !== "new") loadPlaylists();
    },
  };
}

// A text field, not type="number": what was typed is what gets checked (a number field hides
// "abc" and turns "1e3" into a number), with the phone's digit keyboard all the same.
function numberInput(id, label, { value, disabled = false }) {
  return h("input", {
    type: "text",
    id,
    class: "input input-number",
    "aria-label": label,
    inputmode: "numeric",
    autocomplete: "off",
    value: String(value),
    disabled,
  });
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


function showMessage(el, text) {
  setText(el, text);
  show(el, true);
}

function hideMessage(el) {
  setText(el, "");
  show(el, false);
}
