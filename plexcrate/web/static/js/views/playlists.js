// The playlists panel, a side panel over the library: Plex's audio playlists, each with its
// art, tracks and length, a link that opens it in the Plex web app, and what can be done to it:
// rename, delete (after a confirm), add the playlist builder's preview to it. Everything here
// asks Plex, so with Plex offline the changes are off and the panel says why.

import { deletePlaylist, listPlaylists, renamePlaylist } from "../api.js";
import { appendSkippingHeld, saveNotes } from "../builder/actions.js";
import { announce, h, icon, ICONS, setText, show } from "../dom.js";
import { formatLength, plural } from "../format.js";
import { openModal } from "../focus.js";
import { playlistArt, playlistLink, setArt } from "../plex.js";
import { store } from "../state.js";

const OFFLINE = "Plex is offline, so playlists can't be changed until it answers again.";

export function createPlaylistsPanel({ previewTracks, onChanged = () => {} }) {
  let playlists = null; // as Plex last listed them
  let editing = null; // { id, kind: "rename" | "delete" }
  let busy = false;
  let close = null;

  const list = h("ul", { class: "playlist-list", "aria-labelledby": "playlists-title" });
  const loading = h("p", { class: "muted" }, "Loading playlists…");
  const empty = h(
    "p",
    { class: "muted", hidden: true },
    "There are no playlists on Plex yet. Build one, and save it to Plex.",
  );
  const offlineNote = h("p", { class: "builder-note", hidden: true }, OFFLINE);
  const previewNote = h("p", { class: "hint", id: "playlists-preview-note" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const retry = h("button", { type: "button", class: "btn btn-small", hidden: true, onclick: () => load() }, "Try again");
  const result = h("p", { class: "form-success", role: "status" });
  const closeButton = h(
    "button",
    { type: "button", class: "icon-button", "aria-label": "Close the playlists", onclick: () => hide() },
    "×",
  );
  const drawer = h(
    "div",
    { class: "drawer", role: "dialog", "aria-modal": "true", "aria-labelledby": "playlists-title", tabindex: "-1", id: "playlists" },
    h("div", { class: "drawer-head" }, h("h2", { id: "playlists-title" }, "Plex playlists"), closeButton),
    h("div", { class: "drawer-body" }, previewNote, offlineNote, result, error, retry, loading, empty, list),
  );
  const backdrop = h("div", { class: "backdrop backdrop-side", hidden: true }, drawer);
  backdrop.addEventListener("click", (event) => event.target === backdrop && hide());
  document.body.append(backdrop);

  const offline = () => store.status?.plex_connected === false;

  async function load() {
    show(loading, playlists === null);
    show(error, false);
    show(retry, false);
    try {
      playlists = (await listPlaylists()).playlists;
      render();
    } catch (problem) {
      setText(error, `Couldn't list the playlists: ${problem.message}`);
      show(error, true);
      show(retry, true);
    } finally {
      show(loading, false);
    }
  }

  function render() {
    show(offlineNote, offline());
    const held = previewTracks().length;
    setText(
      previewNote,
      held
        ? `The playlist preview holds ${plural(held, "track")}: “Add the preview” adds them to the end of a playlist.`
        : "To add tracks to one of these, build a preview first (Build playlist), or add tracks from the list.",
    );
    if (playlists === null) return;
    show(empty, playlists.length === 0);
    list.replaceChildren(...playlists.map(row));
  }

  function rerender(id, focusSelector) {
    const old = list.querySelector(`[data-id="${id}"]`);
    const playlist = playlists.find((p) => p.id === id);
    if (old && playlist) old.replaceWith(row(playlist));
    if (focusSelector) list.querySelector(`[data-id="${id}"] ${focusSelector}`)?.focus();
  }

  function row(playlist) {
    const art = h("img", { alt: "", width: "56", height: "56", loading: "lazy", decoding: "async" });
    art.addEventListener("load", () => art.classList.add("is-loaded"));
    setArt(art, playlistArt(playlist.id, 64));
    const length = playlist.duration_ms ? ` · ${formatLength(playlist.duration_ms)}` : "";
    const meta = h(
      "span",
      { class: "track-meta" },
      `${plural(playlist.item_count, "track")}${length}`,
      playlist.smart ? h("span", { class: "badge" }, "Smart") : null,
    );
    const mode = editing?.id === playlist.id ? editing.kind : null;
    const main =
      mode === "rename"
        ? renameForm(playlist)
        : h("span", { class: "playlist-text" }, h("span", { class: "playlist-title" }, playlist.title), meta);
    return h(
      "li",
      { class: "playlist-row", dataset: { id: String(playlist.id) } },
      h("span", { class: "track-art playlist-art" }, art),
      main,
      mode === "delete" ? deleteConfirm(playlist) : mode === "rename" ? null : actions(playlist),
    );
  }

  function actions(playlist) {
    const link = playlistLink(store.status?.machine_identifier, playlist.id);
    const held = previewTracks().length;
    const offlineNow = offline();
    const addWhy = offlineNow
      ? OFFLINE
      : playlist.smart
        ? "Plex fills a smart playlist from its rules: tracks can't be added to it."
        : held
          ? `Add the ${plural(held, "track")} of the playlist preview to the end of “${playlist.title}”.`
          : "Build a preview first (Build playlist), then add it here.";
    return h(
      "span",
      { class: "playlist-actions" },
      link
        ? h(
            "a",
            { class: "btn btn-small", href: link, target: "_blank", rel: "noopener noreferrer", "aria-label": `Open “${playlist.title}” in Plex` },
            icon(ICONS.open),
            "Open in Plex",
          )
        : null,
      h(
        "button",
        { type: "button", class: "btn btn-small rename", disabled: offlineNow, "aria-label": `Rename “${playlist.title}”`, onclick: () => edit(playlist, "rename") },
        "Rename",
      ),
      h(
        "button",
        { type: "button", class: "btn btn-small delete", disabled: offlineNow, "aria-label": `Delete “${playlist.title}”`, onclick: () => edit(playlist, "delete") },
        "Delete",
      ),
      h(
        "button",
        {
          type: "button",
          class: "btn btn-small add-preview",
          disabled: offlineNow || playlist.smart || !held,
          title: addWhy,
          "aria-label": `Add the preview to “${playlist.title}”`,
          onclick: () => addPreview(playlist),
        },
        icon(ICONS.add),
        "Add the preview",
      ),
    );
  }

  function renameForm(playlist) {
    const input = h("input", {
      type: "text",
      class: "input",
      maxlength: "200",
      value: playlist.title,
      "aria-label": `New name for “${playlist.title}”`,
      autocomplete: "off",
    });
    const problem = h("p", { class: "form-error", role: "alert", hidden: true });
    const form = h(
      "form",
      {
        class: "playlist-rename",
        novalidate: true,
        onsubmit: (event) => {
          event.preventDefault();
          rename(playlist, input.value.trim(), problem);
        },
      },
      input,
      h(
        "span",
        { class: "form-actions" },
        h("button", { type: "submit", class: "btn btn-small btn-primary" }, "Save name"),
        h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => stopEditing(playlist, ".rename") }, "Cancel"),
      ),
      problem,
    );
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation(); // closes the editor, not the panel
        stopEditing(playlist, ".rename");
      }
    });
    return form;
  }

  function deleteConfirm(playlist) {
    const problem = h("p", { class: "form-error", role: "alert", hidden: true });
    return h(
      "div",
      { class: "confirm-box", role: "group", "aria-label": `Delete “${playlist.title}”?` },
      h("p", {}, `Delete “${playlist.title}” from Plex? Its tracks stay in your library.`),
      h(
        "span",
        { class: "form-actions" },
        h("button", { type: "button", class: "btn btn-small btn-danger", onclick: () => remove(playlist, problem) }, "Delete it"),
        h("button", { type: "button", class: "btn btn-small btn-quiet", onclick: () => stopEditing(playlist, ".delete") }, "Keep it"),
      ),
      problem,
    );
  }

  function edit(playlist, kind) {
    const previous = editing;
    editing = { id: playlist.id, kind };
    if (previous && previous.id !== playlist.id) rerender(previous.id);
    rerender(playlist.id);
    const target = list.querySelector(`[data-id="${playlist.id}"] ${kind === "rename" ? "input" : ".btn-danger"}`);
    target?.focus();
    if (kind === "rename") target?.select();
  }

  function stopEditing(playlist, focusSelector) {
    editing = null;
    rerender(playlist.id, focusSelector);
  }

  async function rename(playlist, title, problem) {
    if (!title) return fail(problem, "Give the playlist a name.");
    if (title === playlist.title) return stopEditing(playlist, ".rename");
    await act(problem, async () => {
      const renamed = await renamePlaylist(playlist.id, title);
      Object.assign(playlist, renamed);
      editing = null;
      rerender(playlist.id, ".rename");
      report(`Renamed to “${renamed.title}”.`);
    });
  }

  async function remove(playlist, problem) {
    await act(problem, async () => {
      await deletePlaylist(playlist.id);
      const index = playlists.indexOf(playlist);
      playlists = playlists.filter((p) => p !== playlist);
      editing = null;
      render();
      const next = list.children[Math.min(index, playlists.length - 1)];
      (next?.querySelector("button:not([disabled])") || closeButton).focus();
      report(`Deleted “${playlist.title}” from Plex.`);
    });
  }

  async function addPreview(playlist) {
    const tracks = previewTracks();
    if (!tracks.length || busy) return;
    await act(error, async () => {
      // Tracks the playlist already holds are skipped: adding the preview twice adds it once.
      const done = await appendSkippingHeld(playlist, tracks.map((t) => t.rating_key));
      if (!done.saved) {
        report(`“${playlist.title}” already holds all ${plural(tracks.length, "track")} of the preview: nothing was added.`);
        list.querySelector(`[data-id="${playlist.id}"] .add-preview`)?.focus();
        return;
      }
      const notes = saveNotes(done);
      const added = `Added ${plural(done.added, "track")} to “${playlist.title}” (${plural(done.saved.item_count, "track")} now).`;
      await load(); // its new length, as Plex counts it
      // Said once the list is back and the panel takes clicks again: a click on the strength of
      // this message must not meet a busy panel.
      report(notes ? `${added} ${notes}` : added);
      list.querySelector(`[data-id="${playlist.id}"] .add-preview`)?.focus();
    });
  }

  async function act(problem, work) {
    if (busy) return;
    busy = true;
    show(problem, false);
    setText(result, "");
    drawer.setAttribute("aria-busy", "true");
    try {
      await work();
      onChanged();
    } catch (failure) {
      fail(problem, failure.message);
    } finally {
      busy = false;
      drawer.removeAttribute("aria-busy");
    }
  }

  function fail(problem, message) {
    setText(problem, message);
    show(problem, true);
  }

  function report(message) {
    setText(result, message);
    announce(message);
  }

  function open() {
    setText(result, "");
    editing = null;
    render();
    close = openModal(backdrop, drawer, { onEscape: hide, initialFocus: closeButton });
    load();
  }

  function hide() {
    if (close) close();
    close = null;
  }

  store.on("status", ({ status, previous }) => {
    if (close && status?.plex_connected !== previous?.plex_connected && !editing) render();
  });

  return {
    open,
    close: hide,
    /** Plex's playlists changed elsewhere (the builder saved one): list them again if open. */
    refresh() {
      if (close) load();
    },
  };
}
