// Albums and artists as cards: a cover (round for an artist) in a fixed square box, the name and
// a line or two under it, each a link to its page; one action, "filter by this (album's)
// artist". The album and artist grids are virtual grids (virtualgrid.js) of these cards, as
// many columns as the width holds; an artist's page shows its albums as the same cards.

import { getAlbums, getArtists } from "../api.js";
import { h, icon, ICONS, setText } from "../dom.js";
import { plural } from "../format.js";
import { clearArt, itemArt, setArt } from "../plex.js";
import { linkTo, routeLink } from "./trackrow.js";
import { PAGE_SIZE, createVirtualGrid } from "./virtualgrid.js";

const COVER = 256; // px asked for (512 on a high-density screen)

/** What an album card says under its artist: "1994 · Live · 3 of 12 tracks". */
function albumMeta(album) {
  const types = album.album_types.filter((type) => type !== "Album");
  return [album.year, ...types].filter(Boolean).join(" · ");
}

function createCard({ round, onFilterArtist }) {
  const img = h("img", { alt: "", decoding: "async" });
  img.addEventListener("load", () => img.classList.add("is-loaded"));
  const art = routeLink({ class: `card-art${round ? " is-round" : ""}`, tabindex: "-1", "aria-hidden": "true" }, img);
  const title = routeLink({ class: "card-title" });
  const sub = routeLink({ class: "card-sub quiet-link" });
  const meta = h("span", { class: "card-meta" });
  const filter = h(
    "button",
    { type: "button", class: "row-action card-action", onclick: () => card.artistName && onFilterArtist?.(card.artistName) },
    icon(ICONS.filter),
  );
  const card = h(
    "div",
    { class: `card${round ? " artist-card" : " album-card"}`, role: "listitem" },
    art,
    h("span", { class: "card-text" }, title, sub, meta),
    filter,
  );
  card.parts = { img, art, title, sub, meta, filter };
  return card;
}

export const createAlbumCard = (options) => createCard({ ...options, round: false });
export const createArtistCard = (options) => createCard({ ...options, round: true });

const directArt = (img, url) => (url ? setArt(img, url) : clearArt(img));

function emptyCard(card, art) {
  const { parts } = card;
  for (const part of [parts.title, parts.sub, parts.meta]) setText(part, "");
  parts.filter.hidden = true;
  card.artistName = null;
  delete card.dataset.ratingKey;
  card.setAttribute("aria-label", "Loading…");
  art(parts.img, "");
}

export function fillAlbumCard(card, album, art = directArt) {
  if (!album) return emptyCard(card, art);
  const { parts } = card;
  card.removeAttribute("aria-label");
  card.dataset.ratingKey = String(album.rating_key);
  card.artistName = album.album_artist;
  linkTo(parts.title, "album", album.rating_key, album.title);
  parts.art.setAttribute("href", parts.title.getAttribute("href"));
  linkTo(parts.sub, "artist", album.artist_key, album.album_artist);
  setText(parts.meta, albumMeta(album));
  parts.filter.hidden = false;
  parts.filter.title = "Only this artist's tracks";
  parts.filter.setAttribute("aria-label", `Filter by “${album.album_artist}”, the artist of “${album.title}”`);
  art(parts.img, itemArt(album.rating_key, COVER));
}

export function fillArtistCard(card, artist, art = directArt) {
  if (!artist) return emptyCard(card, art);
  const { parts } = card;
  card.removeAttribute("aria-label");
  card.dataset.ratingKey = String(artist.rating_key);
  card.artistName = artist.title;
  linkTo(parts.title, "artist", artist.rating_key, artist.title);
  parts.art.setAttribute("href", parts.title.getAttribute("href"));
  parts.sub.removeAttribute("href");
  setText(parts.sub, "");
  setText(parts.meta, `${plural(artist.album_count, "album")} · ${plural(artist.track_count, "track")}`);
  parts.filter.hidden = false;
  parts.filter.title = "Only this artist's tracks";
  parts.filter.setAttribute("aria-label", `Filter by “${artist.title}”`);
  art(parts.img, itemArt(artist.rating_key, COVER));
}

/** Columns for a width: cards at least `min` px wide, two at least. */
function cardLayout(container, width) {
  const style = getComputedStyle(container);
  const min = Number.parseFloat(style.getPropertyValue("--card-min")) || 168;
  const gap = Number.parseFloat(style.getPropertyValue("--card-gap")) || 20;
  const text = Number.parseFloat(style.getPropertyValue("--card-text-h")) || 64;
  const columns = Math.max(2, Math.floor((width + gap) / (min + gap)));
  const cellWidth = Math.max(1, Math.floor((width - gap * (columns - 1)) / columns));
  return { columns, cellWidth, rowHeight: cellWidth + text + gap, gap };
}

function createCardGrid(container, { fetch, field, create, fill, onFilterArtist }) {
  return createVirtualGrid(container, {
    measure: (width) => cardLayout(container, width),
    fetchPage: ({ filters, sort, seed }, page, signal) =>
      fetch(filters, { sort, seed, offset: page * PAGE_SIZE, limit: PAGE_SIZE, signal }).then((body) => body[field]),
    createCell: () => create({ onFilterArtist }),
    fillCell: (card, item, index, art) => fill(card, item, art),
    itemKey: (item) => item.rating_key,
  });
}

export const createAlbumGrid = (container, { onFilterArtist }) =>
  createCardGrid(container, { fetch: getAlbums, field: "albums", create: createAlbumCard, fill: fillAlbumCard, onFilterArtist });

export const createArtistGrid = (container, { onFilterArtist }) =>
  createCardGrid(container, { fetch: getArtists, field: "artists", create: createArtistCard, fill: fillArtistCard, onFilterArtist });
