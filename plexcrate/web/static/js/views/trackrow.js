// A track's row, in the track list and on an album's page: its album's art (or, on the album's
// page, its number), the title with the artist and the album under it (links to their pages),
// then on a wide screen the artist and the album in columns of their own; the rating, the
// duration, and the row's actions: open in Plex, add to the playlist, filter by this artist.

import { h, icon, ICONS, setText } from "../dom.js";
import { formatDuration } from "../format.js";
import { itemLink, trackArt } from "../plex.js";
import { store } from "../state.js";
import { ratingElement, ratingStars } from "./stars.js";

const ART_SIZE = 64; // px asked for (128 on a high-density screen); shown at 40

/** A link to a page of the app (followed without a reload: router.js). */
export function routeLink(attrs = {}, ...children) {
  return h("a", { ...attrs, "data-route": "" }, ...children);
}

/** Point `link` at an album's or artist's page, or make it plain text when there is none. */
export function linkTo(link, name, id, text) {
  setText(link, text);
  if (id == null) link.removeAttribute("href");
  else link.setAttribute("href", store.url({ name, id }));
}

/** `onAdd(track)`, `onFilterArtist(name)`: the row's actions. `numbered`: the track's number in
 * place of the art (an album's page). */
export function createTrackRow({ onAdd, onFilterArtist, numbered = false }) {
  const img = h("img", { alt: "", width: "40", height: "40", loading: "lazy", decoding: "async" });
  img.addEventListener("load", () => img.classList.add("is-loaded"));
  const number = h("span", { class: "track-number" });
  const title = h("span", { class: "track-title-text" });
  const live = h("span", { class: "badge badge-live", hidden: true }, "Live");
  const meta = h("span", { class: "track-meta" });
  const metaArtist = routeLink({ class: "quiet-link" });
  const metaAlbum = routeLink({ class: "quiet-link" });
  const artist = routeLink({ class: "quiet-link" });
  const album = routeLink({ class: "quiet-link" });
  const stars = ratingElement();
  const duration = h("span", { class: "track-duration" });
  const open = h(
    "a",
    { class: "row-action", target: "_blank", rel: "noopener noreferrer", title: "Open in Plex" },
    icon(ICONS.open),
  );
  const add = h(
    "button",
    { type: "button", class: "row-action", title: "Add to the playlist", onclick: () => row.track && onAdd?.(row.track) },
    icon(ICONS.add),
  );
  const filter = h(
    "button",
    {
      type: "button",
      class: "row-action",
      title: "Only this artist's tracks",
      onclick: () => row.track && onFilterArtist?.(row.track.artist),
    },
    icon(ICONS.filter),
  );
  const actions = h("span", { class: "track-actions" }, open, add, filter);
  const row = h(
    "div",
    { class: `track${numbered ? " is-numbered" : ""}`, role: "listitem" },
    numbered ? number : h("span", { class: "track-art" }, img),
    h("span", { class: "track-text" }, h("span", { class: "track-title" }, title, live), meta),
    h("span", { class: "track-artist" }, artist),
    h("span", { class: "track-album" }, album),
    h("span", { class: "track-side" }, stars, duration),
    actions,
  );
  row.parts = { img, number, title, live, meta, metaArtist, metaAlbum, artist, album, stars, duration, open, add, filter, actions };
  return row;
}

/** Show `track` in a row (`undefined`: a row whose page is still coming); `art(img, url)`
 * shows the picture (the virtual list waits for the scrolling to pause). */
export function fillTrackRow(row, track, art) {
  const parts = row.parts;
  row.track = track;
  parts.actions.hidden = !track;
  if (!track) {
    for (const part of [parts.title, parts.meta, parts.artist, parts.album, parts.duration, parts.number]) {
      setText(part, "");
    }
    parts.live.hidden = true;
    ratingStars(parts.stars, null);
    art(parts.img, "");
    row.setAttribute("aria-label", "Loading…");
    delete row.dataset.ratingKey;
    return;
  }
  row.removeAttribute("aria-label");
  row.dataset.ratingKey = String(track.rating_key);
  setText(parts.title, track.title);
  setText(parts.number, track.track_number == null ? "" : String(track.track_number));
  parts.live.hidden = !track.is_live;
  linkTo(parts.metaArtist, "artist", track.artist_key, track.artist);
  linkTo(parts.metaAlbum, "album", track.album_key, track.album);
  if (row.classList.contains("is-numbered")) parts.meta.replaceChildren(parts.metaArtist); // its album's page
  else parts.meta.replaceChildren(parts.metaArtist, " · ", parts.metaAlbum, track.year ? ` · ${track.year}` : "");
  linkTo(parts.artist, "artist", track.artist_key, track.artist);
  linkTo(parts.album, "album", track.album_key, track.year ? `${track.album} (${track.year})` : track.album);
  setText(parts.duration, formatDuration(track.duration_ms));
  ratingStars(parts.stars, track.user_rating);
  const link = itemLink(store.status?.machine_identifier || "", track.rating_key);
  parts.open.hidden = !link;
  if (link) parts.open.href = link;
  parts.open.setAttribute("aria-label", `Open “${track.title}” in Plex`);
  parts.add.setAttribute("aria-label", `Add “${track.title}” to the playlist`);
  parts.filter.setAttribute("aria-label", `Filter by “${track.artist}”`);
  art(parts.img, trackArt(track, ART_SIZE));
}
