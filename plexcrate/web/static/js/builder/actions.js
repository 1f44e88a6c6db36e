// What the playlist builder does: pick (keeping the tracks added by hand), top up, swap,
// remove, add by hand; save to Plex as a new playlist, replace one (after showing what changes
// and asking) or add to one (skipping what it already holds). A save that fails says what the
// playlist holds on Plex afterwards. Every change of the state is drawn and kept (state.js).

import { ApiError, getPlaylistItems, listPlaylists, previewPlaylist, savePlaylist } from "../api.js";
import { announce } from "../dom.js";
import { plural } from "../format.js";
import { filterBody } from "../vocabulary.js";
import { currentRule, sameFilters, store } from "../state.js";
import { MAX_MINUTES, MAX_PER_ARTIST, MAX_PICK, changes, handAdded, keysOf, persist, suggestName, totalMs } from "./state.js";
import { hideMessage, showMessage } from "./view.js";

const LIMITS = { MAX_PICK, MAX_MINUTES, MAX_PER_ARTIST };

/**
 * Add `keys` to the end of playlist `id` on Plex, leaving out those it already holds.
 * Resolves to `{ saved, added, skipped }` (`saved` null when there was nothing to add).
 */
export async function appendSkippingHeld(playlist, keys) {
  const { rating_keys: held } = await getPlaylistItems(playlist.id);
  const holds = new Set(held);
  const fresh = keys.filter((key) => !holds.has(key));
  if (!fresh.length) return { saved: null, added: 0, skipped: keys.length, held: held.length };
  const saved = await savePlaylist({ title: playlist.title, mode: "append", playlist_id: playlist.id, rating_keys: fresh });
  return { saved, added: fresh.length, skipped: keys.length - fresh.length, held: held.length };
}

/** "2 it already held were skipped." and "3 tracks were not taken by Plex." as they apply. */
export function saveNotes({ skipped = 0, saved = null } = {}) {
  const notes = [];
  if (skipped) notes.push(`${plural(skipped, "track")} it already held ${skipped === 1 ? "was" : "were"} skipped.`);
  const notAdded = saved?.not_added?.length ?? 0;
  if (notAdded) notes.push(`${plural(notAdded, "track")} ${notAdded === 1 ? "was" : "were"} not taken by Plex.`);
  return notes.join(" ");
}

export function createBuilderActions(state, ui, { onChange, onSaved }) {
  let busy = false;
  let playlists = null; // Plex's playlists, once asked for
  let duplicate = null; // { title, id }: a new playlist's name Plex has
  let replacing = null; // { request, before }: a replace waiting for its answer
  let secondOf = null; // the playlist a "second one of that name" shares its name with

  /** Draw the preview and keep the state. */
  function render() {
    const stale = Boolean(state.pickedFor && !state.pickedFor.opts.manual) && !sameFilters(state.pickedFor.filters, store.filters);
    ui.renderPreview(state, { stale, handlers: { swap, remove } });
    persist(state);
    onChange(state.tracks.length);
  }

  /** The form changed: keep what it holds. */
  function formChanged() {
    state.form = ui.readForm();
    state.name = ui.nameInput.value;
    persist(state);
  }

  function suggest() {
    if (!ui.nameInput.value || ui.nameInput.value === state.lastSuggestion) {
      state.lastSuggestion = suggestName(store.filters);
      ui.nameInput.value = state.lastSuggestion;
      state.name = ui.nameInput.value;
    }
  }

  /** `keep`: tracks the preview holds (not picked again, counted toward the artist cap by the
   * server); `exclude`: the ones removed from it (never picked again). */
  function request(opts, { count, targetMinutes = null, exclude = [], keep = [] }) {
    return previewPlaylist({
      filters: filterBody(store.filters),
      rule: currentRule({ withFilters: false }),
      count,
      favour_rating: opts.favour_rating,
      max_per_artist: opts.max_per_artist,
      target_minutes: targetMinutes,
      exclude: [...exclude],
      keep: [...keep],
      seed: null,
    });
  }

  /** A new pick; the tracks added by hand stay (first), and count toward the length and cap. */
  async function pick() {
    if (busy) return;
    const opts = ui.options(LIMITS);
    if (!opts) return;
    formChanged();
    await run(ui.pickButton, "Picking…", ui.pickError, async () => {
      const kept = handAdded(state);
      const keptMs = totalMs(kept);
      const wantedMs = opts.minutes * 60000 - keptMs;
      const wanted = opts.byMinutes ? (wantedMs > 0 ? MAX_PICK - kept.length : 0) : opts.count - kept.length;
      let picked = [];
      if (wanted > 0) {
        const body = await request(opts, {
          count: Math.min(MAX_PICK, wanted),
          targetMinutes: opts.byMinutes ? Math.max(1, wantedMs / 60000) : null,
          keep: keysOf(kept),
        });
        picked = body.tracks;
      }
      state.tracks = [...kept, ...picked];
      state.excluded = new Set();
      state.pickedFor = { filters: store.filters, opts };
      const total = totalMs(state.tracks);
      state.exhausted = opts.byMinutes ? total < opts.minutes * 60000 : state.tracks.length < opts.count;
      state.available = state.exhausted ? (opts.byMinutes ? total : state.tracks.length) : 0;
      suggest();
      render();
    });
  }

  /** Top the preview up to the wanted length, keeping what is there. */
  async function fill() {
    if (busy || !state.pickedFor) return;
    const opts = state.pickedFor.opts;
    const { tracks } = state;
    const missingMs = opts.minutes * 60000 - totalMs(tracks);
    const missing = opts.byMinutes ? MAX_PICK - tracks.length : opts.count - tracks.length;
    if (missing <= 0 || (opts.byMinutes && missingMs <= 0)) return;
    await run(ui.topUp, "Adding…", ui.previewError, async () => {
      const body = await request(opts, {
        count: Math.min(MAX_PICK, missing),
        targetMinutes: opts.byMinutes ? Math.max(1, Math.ceil(missingMs / 60000)) : null,
        exclude: state.excluded,
        keep: keysOf(tracks),
      });
      const added = opts.byMinutes ? body.tracks : body.tracks.slice(0, missing);
      if (!opts.byMinutes && added.length < missing) {
        state.exhausted = true;
        state.available = tracks.length + added.length;
      }
      if (!added.length) {
        state.exhausted = true;
        render();
        throw new Error("No more tracks match these filters.");
      }
      state.tracks = [...tracks, ...added];
      render();
    });
  }

  async function swap(index) {
    if (busy) return;
    const old = state.tracks[index];
    const opts = state.pickedFor?.opts ?? { favour_rating: false, max_per_artist: null };
    const button = ui.list.children[index]?.querySelector(".swap");
    await run(button, null, ui.previewError, async () => {
      const others = state.tracks.filter((_, i) => i !== index);
      const body = await request(opts, { count: 1, exclude: [...state.excluded, old.rating_key], keep: keysOf(others) });
      const [replacement] = body.tracks;
      if (!replacement) {
        state.exhausted = true;
        throw new Error("No other track matches these filters.");
      }
      state.excluded.add(old.rating_key);
      state.manual.delete(old.rating_key);
      state.tracks = [...state.tracks.slice(0, index), replacement, ...state.tracks.slice(index + 1)];
      render();
      ui.focusRow(index, ".swap");
    });
  }

  function remove(index) {
    const key = state.tracks[index].rating_key;
    state.excluded.add(key);
    state.manual.delete(key);
    state.tracks = state.tracks.filter((_, i) => i !== index);
    render();
    ui.focusRow(index, ".remove");
  }

  /** Tracks added from the list, one by one or an album's: they stay when picking again. */
  function addTracks(chosen) {
    const held = new Set(keysOf(state.tracks));
    const fresh = chosen.filter((t) => !held.has(t.rating_key));
    if (!fresh.length) {
      announce(
        chosen.length === 1
          ? `“${chosen[0].title}” is already in the playlist preview.`
          : `All ${plural(chosen.length, "track")} are already in the playlist preview.`,
      );
      return;
    }
    for (const track of fresh) {
      state.excluded.delete(track.rating_key);
      state.manual.add(track.rating_key);
    }
    state.tracks = [...state.tracks, ...fresh];
    if (!state.pickedFor) {
      const opts = { manual: true, byMinutes: false, count: 0, minutes: 60, favour_rating: false, max_per_artist: null };
      state.pickedFor = { filters: store.filters, opts };
    }
    if (state.pickedFor.opts.manual) state.pickedFor.opts.count = state.tracks.length;
    if (!ui.nameInput.value) suggest();
    render();
    const what = fresh.length === 1 ? `“${fresh[0].title}”` : plural(fresh.length, "track");
    announce(`Added ${what} to the playlist preview: ${plural(state.tracks.length, "track")}.`);
  }

  // --- saving ---

  async function onMode() {
    const mode = ui.mode();
    ui.showMode(mode);
    hideMessage(ui.saveError);
    closeQuestions();
    if (mode !== "new" && playlists === null) await loadPlaylists();
  }

  async function loadPlaylists() {
    ui.playlistsLoading();
    try {
      playlists = (await listPlaylists()).playlists;
      ui.renderPlaylists(playlists);
    } catch (error) {
      playlists = null;
      ui.playlistsFailed(error.message);
    }
  }

  function closeQuestions() {
    duplicate = null;
    replacing = null;
    ui.closeDuplicate();
    ui.closeReplace();
  }

  const plexOffline = () => store.status?.plex_connected === false;

  async function save() {
    if (busy || !state.tracks.length || plexOffline()) return;
    const mode = ui.mode();
    hideMessage(ui.saveError);
    closeQuestions();
    ui.saveResult.textContent = "";
    const title = ui.nameInput.value.trim();
    if (mode === "new") {
      if (!title) {
        ui.nameInput.setAttribute("aria-invalid", "true");
        showMessage(ui.saveError, "Give the playlist a name.");
        ui.nameInput.focus();
        return;
      }
      await send({ title, mode, playlist_id: null, allow_duplicate: false });
      return;
    }
    const playlistId = Number.parseInt(ui.playlistSelect.value, 10);
    const target = playlists?.find((p) => p.id === playlistId);
    if (!target) {
      showMessage(ui.saveError, "Pick the playlist to " + (mode === "replace" ? "replace." : "add to."));
      ui.playlistSelect.focus();
      return;
    }
    const wanted = { title: target.title, mode, playlist_id: target.id, allow_duplicate: false };
    if (mode === "append") await send(wanted, target.id);
    else await askReplace(wanted);
  }

  /** Read what the playlist holds, show what the replace changes, and wait for the answer. */
  async function askReplace(wanted) {
    await run(ui.saveButton, "Checking…", ui.saveError, async () => {
      const { rating_keys: before } = await getPlaylistItems(wanted.playlist_id);
      const after = keysOf(state.tracks);
      replacing = { request: wanted, before };
      ui.askReplace(wanted.title, before.length, changes(before, after), after.length);
    });
  }

  async function answerReplace(ok) {
    const asked = replacing;
    closeQuestions();
    ui.saveButton.focus(); // the question's buttons are gone
    if (!ok || !asked) return;
    await send(asked.request, asked.request.playlist_id, asked.before);
  }

  /** Save the preview as `request` says; a new playlist's name that Plex has asks first.
   * `before`: what a replaced playlist held (to say what it holds if the save fails). */
  async function send(request, selectedId = null, before = null) {
    const keys = keysOf(state.tracks);
    await run(ui.saveButton, "Saving…", ui.saveError, async () => {
      let saved;
      let notes = "";
      let count = keys.length;
      try {
        if (request.mode === "append") {
          const done = await appendSkippingHeld({ id: request.playlist_id, title: request.title }, keys);
          if (!done.saved) {
            ui.saveResult.textContent = `“${request.title}” already holds all ${plural(keys.length, "track")} of the preview: nothing was added.`;
            return;
          }
          ({ saved } = done);
          count = done.added;
          notes = saveNotes(done);
          before = done.held;
        } else {
          saved = await savePlaylist({ ...request, rating_keys: keys });
          notes = saveNotes({ saved });
        }
      } catch (error) {
        if (error instanceof ApiError && error.status === 409 && error.body?.duplicate_of) {
          duplicate = { title: request.title, id: error.body.duplicate_of };
          ui.askDuplicate(request.title);
          return;
        }
        throw new Error(`${error.message} ${await whatItHolds(error, request, keys, before)}`.trim());
      }
      const message =
        request.mode === "append"
          ? `Added ${plural(count, "track")} to “${saved.title}” on Plex (${plural(saved.item_count, "track")} now).`
          : request.mode === "replace"
            ? `Replaced “${saved.title}” on Plex: ${plural(saved.item_count, "track")}.`
            : `Saved “${saved.title}” to Plex: ${plural(saved.item_count, "track")}.`;
      ui.saveResult.textContent = notes ? `${message} ${notes}` : message;
      if (playlists !== null) {
        const others = playlists.filter((p) => p.id !== saved.id);
        playlists = [...others, { ...saved, smart: false }].sort((a, b) => a.title.localeCompare(b.title));
        ui.renderPlaylists(playlists, selectedId);
      }
      onSaved(saved);
    });
  }

  /**
   * After a failed save: what the playlist holds on Plex now, in words. A save refused before
   * it wrote anything (a 4xx) left it as it was; one that broke off (Plex failed or went away)
   * may have written part of it, so Plex is asked.
   */
  async function whatItHolds(error, request, keys, before) {
    const refused = error instanceof ApiError && error.status >= 400 && error.status < 500;
    if (refused) return request.mode === "new" ? "Nothing was saved." : `“${request.title}” was not changed.`;
    const preview = new Set(keys);
    try {
      if (request.mode === "new") {
        const found = (await listPlaylists()).playlists.filter(
          (p) => p.title === request.title && p.id !== secondOf && !playlists?.some((known) => known.id === p.id),
        );
        if (!found.length) return "Nothing was saved to Plex.";
        const { rating_keys: now } = await getPlaylistItems(found[0].id);
        return `Plex has a new playlist “${request.title}” holding ${plural(now.length, "track")} of the ${keys.length}.`;
      }
      const { rating_keys: now } = await getPlaylistItems(request.playlist_id);
      const ofPreview = now.filter((k) => preview.has(k)).length;
      const heldBefore = Array.isArray(before) ? before.length : before;
      if (request.mode === "append") {
        const added = heldBefore == null ? null : now.length - heldBefore;
        if (added === 0) return `Nothing was added: “${request.title}” still holds ${plural(now.length, "track")}.`;
        return `“${request.title}” on Plex now holds ${plural(now.length, "track")}` +
          (added == null ? "." : `: ${added} of the preview’s were added.`);
      }
      const old = new Set(Array.isArray(before) ? before : []);
      const others = now.filter((k) => !preview.has(k) && old.has(k)).length;
      return `“${request.title}” on Plex now holds ${plural(now.length, "track")}: ${ofPreview} of this preview` +
        `${others ? ` and ${others} of those it held before` : ""}.`;
    } catch (asking) {
      return `plexcrate could not ask Plex what the playlist holds now (${asking.message}).`;
    }
  }

  async function answerDuplicate(choice) {
    const wanted = duplicate;
    closeQuestions();
    ui.saveButton.focus(); // the question's buttons are gone
    if (!wanted || !choice) return;
    secondOf = choice === "second" ? wanted.id : null;
    if (choice === "second") await send({ title: wanted.title, mode: "new", playlist_id: null, allow_duplicate: true });
    else await send({ title: wanted.title, mode: "append", playlist_id: wanted.id }, wanted.id);
  }

  async function run(button, busyLabel, errorEl, work) {
    busy = true;
    hideMessage(errorEl);
    const label = button?.textContent;
    ui.busy(button, busyLabel, true);
    try {
      await work();
    } catch (error) {
      showMessage(errorEl, error.message);
    } finally {
      busy = false;
      ui.busy(button, busyLabel, false);
      if (button && busyLabel && button.textContent === busyLabel) button.textContent = label;
    }
  }

  return {
    render,
    formChanged,
    suggest,
    pick,
    fill,
    swap,
    remove,
    addTracks,
    save,
    onMode,
    answerReplace,
    answerDuplicate,
    loadPlaylists,
    forgetPlaylists() {
      playlists = null;
      if (ui.mode() !== "new") loadPlaylists();
    },
    renderOffline: () => ui.setOffline(plexOffline()),
  };
}
