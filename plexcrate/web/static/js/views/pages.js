// An album's page (its cover, artist, year, types and genres, then its tracks in disc and track
// order, with the same row actions as the list) and an artist's page (its picture and counts,
// then its albums as cards, oldest first). Both read the cache alone, so they work with Plex
// offline; both offer "Open in Plex" and "filter by this artist".

import { getAlbum, getArtist, isAbort } from "../api.js";
import { h, icon, ICONS, setText } from "../dom.js";
import { focusUnlessTyping } from "../focus.js";
import { formatLength, plural } from "../format.js";
import { itemArt, itemLink, setArt } from "../plex.js";
import { store } from "../state.js";
import { albumArtistFilterLabel, artistFacts, createAlbumCard, fillAlbumCard } from "./cards.js";
import { createTrackRow, fillTrackRow, linkTo, routeLink } from "./trackrow.js";

const PICTURE = 256; // px asked for (512 on a high-density screen)

/**
 * `onAdd(tracks)`, `onFilterArtist(name)`: what the pages' buttons do; `onBack()`: the way
 * back to the list; `onTitle(text)`: the page's title once known.
 */
export function createPages(root, { onAdd, onFilterArtist, onBack, onTitle }) {
  let controller = null;
  let shown = null; // { name, id } of what the page shows (or is loading)

  let wantFocus = false;

  /** Show an album's or artist's page; `focus`: its heading takes the focus once there. */
  async function show(view, { force = false, focus = false } = {}) {
    wantFocus = focus;
    if (!force && shown && shown.name === view.name && shown.id === view.id) {
      if (focus) focusHeading();
      return;
    }
    shown = view;
    controller?.abort();
    controller = new AbortController();
    const { signal } = controller;
    root.setAttribute("aria-busy", "true");
    root.replaceChildren(backLink(), h("p", { class: "muted detail-loading" }, "Loading…"));
    try {
      if (view.name === "album") {
        renderAlbum(await getAlbum(view.id, { signal }));
      } else {
        renderArtist(await getArtist(view.id, { signal }));
      }
      updateLinks();
    } catch (error) {
      if (isAbort(error)) return;
      shown = null; // asked again next time
      renderProblem(view, error);
    } finally {
      if (!signal.aborted && wantFocus) focusHeading();
      if (!signal.aborted) root.removeAttribute("aria-busy");
    }
  }

  /** "Back" to where the page was opened from, or (opened from elsewhere: a bookmark, a new
   * tab) to the list. */
  function backLink() {
    const inApp = (history.state?.depth ?? 0) > 0;
    return h(
      "button",
      { type: "button", class: "link-button back-link", onclick: () => onBack() },
      icon(ICONS.back),
      inApp ? "Back" : `Back to the ${store.lastList}`,
    );
  }

  function heading(text) {
    return h("h2", { class: "detail-title", id: "detail-title", tabindex: "-1" }, text);
  }

  function picture(id, round) {
    const img = h("img", { alt: "", width: String(PICTURE), height: String(PICTURE), decoding: "async" });
    img.addEventListener("load", () => img.classList.add("is-loaded"));
    setArt(img, itemArt(id, PICTURE));
    return h("span", { class: `detail-art${round ? " is-round" : ""}` }, img);
  }

  function openInPlex(id, name) {
    return h(
      "a",
      {
        class: "btn btn-small",
        target: "_blank",
        rel: "noopener noreferrer",
        "aria-label": `Open “${name}” in Plex`,
        dataset: { plexKey: String(id) },
      },
      icon(ICONS.open),
      "Open in Plex",
    );
  }

  /** Point the "Open in Plex" links at the server (its id may come after the page). */
  function updateLinks() {
    const server = store.status?.machine_identifier || "";
    for (const link of root.querySelectorAll("a[data-plex-key]")) {
      const href = itemLink(server, link.dataset.plexKey);
      link.hidden = !href;
      if (href) link.href = href;
      else link.removeAttribute("href");
    }
    for (const row of root.querySelectorAll(".track[data-rating-key]")) fillTrackRow(row, row.track, () => {});
  }

  function filterButton(name, label) {
    return h(
      "button",
      { type: "button", class: "btn btn-small", "aria-label": label, onclick: () => onFilterArtist(name) },
      icon(ICONS.filter),
      "Only this artist",
    );
  }

  /** A page's head: the picture, what it is, its name (the heading), who by, the facts, the
   * tags, the actions and "Open in Plex". */
  function header({ id, round = false, kind, title, by = null, facts, tags = [], actions }) {
    return h(
      "header",
      { class: "detail-head" },
      picture(id, round),
      h(
        "div",
        { class: "detail-text" },
        h("p", { class: "detail-kind" }, kind),
        heading(title),
        by,
        h("p", { class: "detail-facts" }, facts),
        tags.length ? h("p", { class: "detail-tags" }, tags) : null,
        h("div", { class: "detail-actions" }, ...actions, openInPlex(id, title)),
      ),
    );
  }

  function renderAlbum({ album, tracks }) {
    const length = tracks.reduce((sum, track) => sum + (track.duration_ms || 0), 0);
    const artist = routeLink({ class: "detail-artist" });
    linkTo(artist, "artist", album.artist_key, album.album_artist);
    const label = tracks.find((track) => track.label)?.label;
    const facts = [album.year, plural(tracks.length, "track"), length ? formatLength(length) : null, label];
    // Its own genres, else its tracks' (Plex may tag the artist only); its styles and moods.
    const of = (field) => [...new Set(tracks.flatMap((track) => track[field] ?? []))].sort();
    const genres = album.genres.length ? album.genres : of("genres");
    const tags = [
      ...album.album_types.map((type) => h("span", { class: "badge" }, type)),
      ...[...genres, ...of("styles"), ...of("moods")].map((name) => h("span", { class: "tag" }, name)),
    ];
    const rows = tracks.map((track) => {
      const row = createTrackRow({ onAdd: (one) => onAdd([one]), onFilterArtist, numbered: true });
      fillTrackRow(row, track, () => {});
      return row;
    });
    const add = h(
      "button",
      { type: "button", class: "btn btn-small", disabled: !tracks.length, onclick: () => onAdd(tracks) },
      icon(ICONS.add),
      "Add to the playlist",
    );
    add.setAttribute("aria-label", `Add the ${plural(tracks.length, "track")} of “${album.title}” to the playlist`);
    root.replaceChildren(
      backLink(),
      header({
        id: album.rating_key,
        kind: "Album",
        title: album.title,
        by: h("p", { class: "detail-by" }, artist),
        facts: facts.filter(Boolean).join(" · "),
        tags,
        actions: [
          add,
          filterButton(album.album_artist, albumArtistFilterLabel(album)),
        ],
      }),
      h("div", { class: "album-tracks", role: "list", "aria-label": `Tracks of “${album.title}”` }, rows),
    );
    onTitle(`${album.title} — ${album.album_artist}`);
  }

  function renderArtist({ artist, albums }) {
    const cards = albums.map((album) => {
      const card = createAlbumCard({ onFilterArtist });
      fillAlbumCard(card, album);
      return card;
    });
    root.replaceChildren(
      backLink(),
      header({
        id: artist.rating_key,
        round: true,
        kind: "Artist",
        title: artist.title,
        facts: artistFacts(artist),
        actions: [filterButton(artist.title, `Filter by “${artist.title}”`)],
      }),
      h("h3", { class: "detail-section", id: "artist-albums" }, "Albums"),
      cards.length
        ? h("div", { class: "card-list", role: "list", "aria-labelledby": "artist-albums" }, cards)
        : h("p", { class: "muted" }, "No albums of this artist are in the library."),
    );
    onTitle(artist.title);
  }

  function renderProblem(view, error) {
    const what = view.name === "album" ? "album" : "artist";
    const text =
      error.status === 404
        ? `This ${what} is not in your library (any more).`
        : `Couldn't load the ${what}: ${error.message}`;
    const retry = h("button", { type: "button", class: "btn", onclick: () => show(view, { force: true }) }, "Try again");
    root.replaceChildren(
      backLink(),
      h(
        "div",
        { class: "results-message" },
        heading(text),
        error.status === 404 ? null : h("div", { class: "form-actions" }, retry),
      ),
    );
    onTitle(error.status === 404 ? `No such ${what}` : `The ${what}`);
  }

  function focusHeading() {
    wantFocus = false;
    focusUnlessTyping(root.querySelector("#detail-title"));
  }

  return {
    show,
    updateLinks,
    /** Forget what is shown (a new library: the same id may be another album now). */
    forget() {
      shown = null;
    },
  };
}
