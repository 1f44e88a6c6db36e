// The track list: a virtual list over the whole filtered library. Only the rows in (and just
// around) the viewport exist in the DOM, recycled as the page scrolls; tracks are fetched a page
// (100) at a time as they come into view, and far pages are dropped again. The list's height
// is the full height of every row, so the scrollbar tells the truth.

import { h, setText } from "../dom.js";
import { formatDuration } from "../format.js";
import { ratingElement, ratingStars } from "./stars.js";

export const PAGE_SIZE = 100;
const OVERSCAN = 6; // rows rendered beyond each edge of the viewport
const MAX_PAGES = 30; // pages kept in memory
const RETRY_AFTER = 3000; // ms before a page that failed to load is asked for again

export function createTrackList(container, { fetchPage }) {
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
        row = spare.pop() || createRow();
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
    const key = `${generation}:${index}:${track ? track.rating_key : "-"}:${rowHeight}`;
    if (row.renderKey === key) return;
    row.renderKey = key;
    row.style.transform = `translateY(${index * rowHeight}px)`;
    row.setAttribute("aria-posinset", String(index + 1));
    row.setAttribute("aria-setsize", String(total));
    const parts = row.parts;
    row.classList.toggle("is-placeholder", !track);
    if (!track) {
      setText(parts.title, "");
      setText(parts.meta, "");
      setText(parts.duration, "");
      parts.live.hidden = true;
      ratingStars(parts.stars, null);
      row.setAttribute("aria-label", "Loading…");
      delete row.dataset.ratingKey;
      return;
    }
    row.removeAttribute("aria-label");
    row.dataset.ratingKey = String(track.rating_key);
    setText(parts.title, track.title);
    parts.live.hidden = !track.is_live;
    setText(parts.meta, [track.artist, track.album, track.year].filter(Boolean).join(" · "));
    setText(parts.duration, formatDuration(track.duration_ms));
    ratingStars(parts.stars, track.user_rating);
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

  window.addEventListener("scroll", schedule, { passive: true });
  window.addEventListener("resize", resize);

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

function createRow() {
  const title = h("span", { class: "track-title-text" });
  const live = h("span", { class: "badge badge-live", hidden: true }, "Live");
  const meta = h("span", { class: "track-meta" });
  const stars = ratingElement();
  const duration = h("span", { class: "track-duration" });
  const row = h(
    "div",
    { class: "track", role: "listitem" },
    h("span", { class: "track-text" }, h("span", { class: "track-title" }, title, live), meta),
    h("span", { class: "track-side" }, stars, duration),
  );
  row.parts = { title, live, meta, stars, duration };
  return row;
}
