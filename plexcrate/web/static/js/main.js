// Start-up: ask for the status, the setup state, the counts and the first page of tracks all
// at once, then show the setup screen or the library, and keep the status fresh.

import { getSetup, getStatus } from "./api.js";
import { autoSyncReason, newMemory, remember } from "./autosync.js";
import { $, debounce, setText, show } from "./dom.js";
import { formatCount, plural } from "./format.js";
import { createLibrary } from "./library.js";
import { pollNow, startPolling } from "./poller.js";
import { keepValues } from "./recipes/keep.js";
import { createRecipeDialog } from "./recipes/dialog.js";
import { followLinks } from "./router.js";
import { currentRule, store } from "./state.js";
import { loadVocabulary } from "./vocabulary.js";
import { requestSync } from "./sync.js";
import { createFiltersDrawer } from "./views/filtersdrawer.js";
import { createFooter } from "./views/footer.js";
import { createSyncModal } from "./views/modal.js";
import { createPlaylistBuilder } from "./views/playlist.js";
import { createPlaylistsPanel } from "./views/playlists.js";
import { createRecipesView } from "./views/recipes.js";
import { createViewTabs } from "./views/resultshead.js";
import { createRuleEditor } from "./views/ruleeditor.js";
import { createSearchResults } from "./views/searchresults.js";
import { createSetup } from "./views/setup.js";

const statusRequest = getStatus().catch(() => null);
const setupRequest = getSetup().catch(() => null);
const memory = newMemory(); // the syncs this page started by itself

await loadVocabulary(); // what the filters in the address bar mean
store.start();

// Living playlists: the rule editor, the recipe dialog (new and Edit) and the Recipes view.
const ruleEditor = createRuleEditor();
const recipeDialog = createRecipeDialog({
  editRule: (rule, apply) => ruleEditor.open(rule, { apply, applyLabel: "Use this rule", liveOut: false }),
  onSaved: (recipe, how) => recipesView.changed(recipe, how),
});
/** "Keep as a living playlist": the page's choice, with the builder's options. */
const keepCurrent = () => recipeDialog.create(keepValues(currentRule(), builder.form));
const recipesView = createRecipesView($("#recipes-view"), {
  tabs: createViewTabs(),
  dialog: recipeDialog,
  keepCurrent,
});

const library = createLibrary({
  requestSync: () => syncNow(),
  addToPlaylist: (tracks) => builder.addTracks(tracks),
  openSettings: () => openSetup(Boolean(store.status?.plex_configured)),
  onEdit: () => ruleEditor.editPage(),
  onKeep: keepCurrent,
  recipes: recipesView,
});
library.start(); // the list (its first page and counts) or the page, in parallel with the status

const modal = createSyncModal({ retry: () => requestSync(), openSettings: () => openSetup(true) });
const footer = createFooter($("#statusbar"), { openSettings: () => openSetup(Boolean(store.status?.plex_configured)) });
const builder = createPlaylistBuilder({
  matchingCount: () => library.matching,
  onKeep: () => (builder.close(), keepCurrent()),
  onChange: (count) => {
    setText($("#builder-count-number"), count ? formatCount(count) : "");
    setText($("#builder-count-label"), count ? `${plural(count, "track")} in the preview` : "");
    show($("#builder-count"), count > 0);
  },
});
const playlistsPanel = createPlaylistsPanel({
  previewTracks: () => builder.tracks,
  onChanged: () => builder.forgetPlaylists(),
});
builder.onSaved(() => playlistsPanel.refresh());
const setup = createSetup($("#setup"), {
  onSaved: async () => {
    store.setup = await getSetup().catch(() => store.setup);
    showScreen("library");
    memory.firstRun = true; // this page starts it right now
    await syncNow();
  },
  onCancel: () => showScreen("library"),
});

/** Start a sync; with an empty cache, the first-run modal follows it (and any refusal). */
async function syncNow() {
  if (!store.status || store.status.track_count === 0) modal.starting();
  try {
    await requestSync();
  } catch (error) {
    modal.failed(error.message);
    pollNow();
  }
}

function showScreen(name) {
  const onSetup = name === "setup";
  store.screen = name;
  show($("#setup"), onSetup);
  show($("#library"), !onSetup);
  show($("#search-box"), !onSetup);
  show($("#open-builder"), !onSetup);
  show($("#open-playlists"), !onSetup);
  show($("#open-settings"), !onSetup && Boolean(store.setup?.editable));
  footer.render();
  if (onSetup) setup.focus();
}

function openSetup(changing) {
  setup.prepare(store.setup, { changing, canBrowse: (store.status?.track_count ?? 0) > 0 });
  showScreen("setup");
}

// --- header controls ---

const search = $("#search");
search.value = store.filters.q;
// The dropdown first: a key it takes (Enter on a chosen result) is not the box's. A result
// opens with the search already in the filters (as the box would put it there a moment later),
// so the list behind it matches the box, and that moment later changes nothing.
createSearchResults(search, $("#search-box"), {
  open: (view) => store.navigate(view, { filters: { q: search.value.trim() } }),
});
const searchLater = debounce((q) => store.setFilters({ q: q.trim() }), 250);
search.addEventListener("input", () => searchLater(search.value));
search.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.defaultPrevented) searchLater.flush(search.value);
});
store.on("filters", ({ filters }) => {
  if (search.value.trim() !== filters.q) search.value = filters.q;
});

$("#open-builder").addEventListener("click", () => builder.open());
$("#open-playlists").addEventListener("click", () => playlistsPanel.open());
$("#open-settings").addEventListener("click", () => openSetup(Boolean(store.status?.plex_configured)));

createFiltersDrawer({ panel: $("#filters"), toggle: $("#filters-toggle"), onOpen: () => library.refreshCounts() });
followLinks(document, (view) => store.navigate(view));

// --- the page starts a sync by itself on a first run and when the cache is stale ---

store.on("status", ({ status }) => {
  if (!status || store.syncPending) return;
  const reason = autoSyncReason(status, memory);
  if (!reason) return;
  remember(memory, reason, status);
  if (reason === "first-run") syncNow();
  else requestSync().catch(() => pollNow());
});

// --- start ---

const [status, setupState] = await Promise.all([statusRequest, setupRequest]);
store.setup = setupState;
if (status && !status.plex_configured && setupState?.editable) {
  setup.prepare(setupState, { canBrowse: status.track_count > 0 });
  showScreen("setup");
} else {
  showScreen("library");
}
startPolling({ initial: status, fast: () => modal.open });
footer.render();
