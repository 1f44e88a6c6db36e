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

/** "3 albums · 42 tracks". */
export const artistFacts = (artist) => `${plural(artist.album_count, "album")} · ${plural(artist.track_count, "track")}`;

/** The name of "filter by this album's artist". */
export const albumArtistFilterLabel = (album) => `Filter by “${album.album_artist}”, the artist of “${album.title}”`;

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

/** What a card shows: its page, its name, the line under it (a link to `sub.id`'s page, or
 * text), the facts, and whose tracks its action filters by (`filterLabel` says so). */
function fillCard(card, art, { name, id, title, sub, facts, artistName, filterLabel }) {
  const { parts } = card;
  card.removeAttribute("aria-label");
  card.dataset.ratingKey = String(id);
  card.artistName = artistName;
  linkTo(parts.title, name, id, title);
  parts.art.setAttribute("href", parts.title.getAttribute("href"));
  linkTo(parts.sub, "artist", sub?.id, sub?.text ?? "");
  setText(parts.meta, facts);
  parts.filter.hidden = false;
  parts.filter.title = "Only this artist's tracks";
  parts.filter.setAttribute("aria-label", filterLabel);
  art(parts.img, itemArt(id, COVER));
}

export function fillAlbumCard(card, album, art = directArt) {
  if (!album) return emptyCard(card, art);
  fillCard(card, art, {
    name: "album",
    id: album.rating_key,
    title: album.title,
    sub: { id: album.artist_key, text: album.album_artist },
    facts: albumMeta(album),
    artistName: album.album_artist,
    filterLabel: albumArtistFilterLabel(album),
  });
}

export function fillArtistCard(card, artist, art = directArt) {
  if (!artist) return emptyCard(card, art);
  fillCard(card, art, {
    name: "artist",
    id: artist.rating_key,
    title: artist.title,
    sub: null,
    facts: artistFacts(artist),
    artistName: artist.title,
    filterLabel: `Filter by “${artist.title}”`,
  });
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
