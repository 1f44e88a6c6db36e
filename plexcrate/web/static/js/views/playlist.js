// The playlist builder, a side panel over the library: pick N random tracks from the current
// filters (or about M minutes of them), optionally favouring higher ratings and capping tracks
// per artist; preview them, swap or remove some, top the list up again, add tracks from the
// list by hand (they stay when picking again); then save it to Plex as a new playlist, replace
// one (after showing what changes) or add to one (skipping what it holds).
//
// Three modules: the state (builder/state.js, kept in this tab, so a reload keeps the preview),
// the elements (builder/view.js) and what the buttons do (builder/actions.js). This joins them.

import { describeFilters } from "../labels.js";
import { formatCount } from "../format.js";
import { openModal } from "../focus.js";
import { store } from "../state.js";
import { createBuilderActions } from "../builder/actions.js";
import { restoreBuilderState } from "../builder/state.js";
import { createBuilderView } from "../builder/view.js";

export { suggestName } from "../builder/state.js";

/** `onKeep()`: "Keep as a living playlist" (the current filters, with this form's options). */
export function createPlaylistBuilder({ matchingCount, onChange = () => {}, onKeep = () => {} }) {
  const state = restoreBuilderState();
  const savedListeners = [];
  let close = null;
  let actions = null;
  const ui = createBuilderView({
    pick: () => actions.pick(),
    fill: () => actions.fill(),
    save: () => actions.save(),
    mode: () => actions.onMode(),
    close: () => hide(),
    duplicate: (choice) => actions.answerDuplicate(choice),
    replace: (ok) => actions.answerReplace(ok),
    changed: () => actions.formChanged(),
    keep: () => (actions.formChanged(), onKeep()),
  });
  actions = createBuilderActions(state, ui, {
    onChange,
    onSaved: (saved) => savedListeners.forEach((listener) => listener(saved)),
  });

  ui.writeForm(state.form);
  ui.nameInput.value = state.name;
  if (state.tracks.length || state.pickedFor) actions.render();
  store.on("status", () => actions.renderOffline());

  function open() {
    const total = matchingCount();
    const from = total == null ? "the" : formatCount(total);
    ui.setSource(`From ${from} matching tracks: ${describeFilters(store.filters).join(" · ")}.`);
    if (state.tracks.length || state.pickedFor) actions.render();
    actions.suggest();
    actions.renderOffline();
    close = openModal(ui.backdrop, ui.drawer, { onEscape: hide, initialFocus: ui.firstField() });
  }

  function hide() {
    if (close) close();
    close = null;
  }

  return {
    open,
    close: hide,
    addTracks: (tracks) => actions.addTracks(tracks),
    /** The pick form's options as typed (a copy): a living playlist starts from them. */
    get form() {
      return { ...state.form };
    },
    /** The preview's tracks, in order (a copy). */
    get tracks() {
      return [...state.tracks];
    },
    /** Call `listener(playlist)` whenever the builder saved to Plex. */
    onSaved(listener) {
      savedListeners.push(listener);
    },
    /** Plex's playlists changed elsewhere: list them again before offering them. */
    forgetPlaylists: () => actions.forgetPlaylists(),
  };
}
