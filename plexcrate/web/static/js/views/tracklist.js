// The track list: a virtual list over the whole filtered library. Only the rows in (and just
// around) the viewport exist in the DOM, recycled as the page scrolls; tracks are fetched a page
// (100) at a time as they come into view, and far pages are dropped again. The list's height
// is the full height of every row, so the scrollbar tells the truth.
//
// Each row shows its album's art. While the list scrolls, rows flying past ask for none: the
// pictures of the rows on screen are asked for once the scrolling pauses, so a fast scroll
// through 100,000 tracks costs a screenful of pictures, not thousands (and never delays the
// pages of tracks, which share the browser's few connections with them).

import { h, icon, ICONS, setText } from "../dom.js";
import { formatDuration } from "../format.js";
import { itemLink, setArt, trackArt } from "../plex.js";
import { store } from "../state.js";
import { ratingElement, ratingStars } from "./stars.js";

export const PAGE_SIZE = 100;
const OVERSCAN = 6; // rows rendered beyond each edge of the viewport
const MAX_PAGES = 30; // pages kept in memory
const RETRY_AFTER = 3000; // ms before a page that failed to load is asked for again
const ART_SIZE = 64; // px asked for (128 on a high-density screen); shown at 40
const ART_SETTLE = 120; // ms without scrolling before the rows on screen get their pictures

export function createTrackList(container, { fetchPage, onAdd }) {
  let total = 0;
  let query = null; // what fetchPage gets: the filters this list shows
  let generation = 0;
  let rowHeight = readRowHeight();
  let frame = 0;
  const pages = new Map(); // page number → tracks, least recently used first
  const loading = new Map(); // page number → AbortController
  const failed = new Map(); // page number → time of failure
  const rows = new Map(); // track index → row element
  const spare = [];
  const artWaiting = new Set(); // rows whose picture waits for the scrolling to pause
  let scrolling = false;
  let settle = 0;

  function readRowHeight() {
    return Number.parseFloat(getComputedStyle(container).getPropertyValue("--row-h")) || 56;
  }

  function schedule() {
    if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    }
  }

  function visibleRange() {
    const top = container.getBoundingClientRect().top;
    const from = Math.max(0, -top);
    const to = Math.max(0, window.innerHeight - top);
    const first = Math.max(0, Math.floor(from / rowHeight) - OVERSCAN);
    const last = Math.min(total - 1, Math.ceil(to / rowHeight) + OVERSCAN);
    return [first, last];
  }

  function render() {
    const [first, last] = total ? visibleRange() : [0, -1];
    for (const [index, row] of rows) {
      if (index < first || index > last) {
        rows.delete(index);
        row.hidden = true;
        spare.push(row);
      }
    }
    const wanted = new Set();
    for (let index = first; index <= last; index++) {
      const page = Math.floor(index / PAGE_SIZE);
      const tracks = pages.get(page);
      if (!tracks) wanted.add(page);
      let row = rows.get(index);
      if (!row) {
        row = spare.pop() || createRow(onAdd);
        rows.set(index, row);
        if (!row.isConnected) container.append(row);
        row.hidden = false;
      }
      fillRow(row, index, tracks ? tracks[index % PAGE_SIZE] : undefined);
    }
    for (const [page, controller] of loading) {
      if (!wanted.has(page)) {
        controller.abort();
        loading.delete(page);
      }
    }
    for (const page of wanted) load(page);
  }

  function fillRow(row, index, track) {
    const server = store.status?.machine_identifier || "";
    const key = `${generation}:${index}:${track ? track.rating_key : "-"}:${rowHeight}:${server}`;
    if (row.renderKey === key) return;
    row.renderKey = key;
    row.style.transform = `translateY(${index * rowHeight}px)`;
    row.setAttribute("aria-posinset", String(index + 1));
    row.setAttribute("aria-setsize", String(total));
    const parts = row.parts;
    row.classList.toggle("is-placeholder", !track);
    row.track = track;
    parts.actions.hidden = !track;
    if (!track) {
      for (const part of [parts.title, parts.meta, parts.artist, parts.album, parts.duration]) setText(part, "");
      parts.live.hidden = true;
      ratingStars(parts.stars, null);
      showArt(row, null);
      row.setAttribute("aria-label", "Loading…");
      delete row.dataset.ratingKey;
      return;
    }
    row.removeAttribute("aria-label");
    row.dataset.ratingKey = String(track.rating_key);
    setText(parts.title, track.title);
    parts.live.hidden = !track.is_live;
    setText(parts.meta, [track.artist, track.album, track.year].filter(Boolean).join(" · "));
    setText(parts.artist, track.artist);
    setText(parts.album, track.year ? `${track.album} (${track.year})` : track.album);
    setText(parts.duration, formatDuration(track.duration_ms));
    ratingStars(parts.stars, track.user_rating);
    const link = itemLink(server, track.rating_key);
    parts.open.hidden = !link;
    if (link) parts.open.href = link;
    parts.open.setAttribute("aria-label", `Open “${track.title}” in Plex`);
    parts.add.setAttribute("aria-label", `Add “${track.title}” to the playlist`);
    showArt(row, track);
  }

  function showArt(row, track) {
    const img = row.parts.img;
    const url = track ? trackArt(track, ART_SIZE) : "";
    if (img.dataset.url === url) return;
    img.dataset.url = url;
    img.classList.remove("is-loaded");
    img.removeAttribute("srcset");
    img.removeAttribute("src");
    artWaiting.delete(row);
    if (!url) return;
    if (scrolling) artWaiting.add(row);
    else setArt(img, url);
  }

  function showWaitingArt() {
    for (const row of artWaiting) {
      if (!row.hidden && row.parts.img.dataset.url) setArt(row.parts.img, row.parts.img.dataset.url);
    }
    artWaiting.clear();
  }

  function onScroll() {
    scrolling = true;
    clearTimeout(settle);
    settle = setTimeout(() => {
      scrolling = false;
      showWaitingArt();
    }, ART_SETTLE);
    schedule();
  }

  function load(page) {
    if (loading.has(page)) return;
    const failedAt = failed.get(page);
    if (failedAt && Date.now() - failedAt < RETRY_AFTER) return;
    const controller = new AbortController();
    const forGeneration = generation;
    loading.set(page, controller);
    fetchPage(query, page, controller.signal).then(
      (tracks) => {
        if (forGeneration !== generation) return;
        loading.delete(page);
        failed.delete(page);
        keep(page, tracks);
        schedule();
      },
      (error) => {
        if (forGeneration !== generation || error?.name === "AbortError") return;
        loading.delete(page);
        failed.set(page, Date.now());
        setTimeout(schedule, RETRY_AFTER);
      },
    );
  }

  function keep(page, tracks) {
    pages.delete(page);
    pages.set(page, tracks);
    while (pages.size > MAX_PAGES) pages.delete(pages.keys().next().value);
  }

  function resize() {
    rowHeight = readRowHeight();
    container.style.height = `${total * rowHeight}px`;
    schedule();
  }

  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", resize);
  store.on("status", schedule); // the server's id, for the rows' links, may arrive late

  return {
    /** Show `count` tracks for `nextQuery`, of which the first page is `firstPage`. */
    reset(nextQuery, count, firstPage) {
      generation += 1;
      for (const controller of loading.values()) controller.abort();
      loading.clear();
      failed.clear();
      pages.clear();
      query = nextQuery;
      total = count;
      keep(0, firstPage);
      rowHeight = readRowHeight();
      container.style.height = `${total * rowHeight}px`;
      render();
    },
    get total() {
      return total;
    },
  };
}

// A row: art, title (with the artist and album under it), then, on a wide screen, the artist
// and the album in columns of their own; the rating, the duration, and the row's actions.
function createRow(onAdd) {
  const img = h("img", { alt: "", width: "40", height: "40", loading: "lazy", decoding: "async" });
  img.addEventListener("load", () => img.classList.add("is-loaded"));
  const title = h("span", { class: "track-title-text" });
  const live = h("span", { class: "badge badge-live", hidden: true }, "Live");
  const meta = h("span", { class: "track-meta" });
  const artist = h("span", { class: "track-artist" });
  const album = h("span", { class: "track-album" });
  const stars = ratingElement();
  const duration = h("span", { class: "track-duration" });
  const open = h(
    "a",
    { class: "row-action", target: "_blank", rel: "noopener noreferrer", title: "Open in Plex" },
    icon(ICONS.open),
  );
  const add = h(
    "button",
    {
      type: "button",
      class: "row-action",
      title: "Add to the playlist",
      onclick: () => row.track && onAdd?.(row.track),
    },
    icon(ICONS.add),
  );
  const actions = h("span", { class: "track-actions" }, open, add);
  const row = h(
    "div",
    { class: "track", role: "listitem" },
    h("span", { class: "track-art" }, img),
    h("span", { class: "track-text" }, h("span", { class: "track-title" }, title, live), meta),
    artist,
    album,
    h("span", { class: "track-side" }, stars, duration),
    actions,
  );
  row.parts = { img, title, live, meta, artist, album, stars, duration, open, add, actions };
  return row;
}
