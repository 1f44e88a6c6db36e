// A virtual list or grid over a whole filtered library: only the cells in (and just around) the
// viewport exist in the DOM, recycled as the page scrolls; items are fetched a page (100) at a
// time as they come into view, and far pages are dropped again. The container's height is the
// full height of every row, so the scrollbar tells the truth. The track list is a grid of one
// column; the albums and artists are grids of cards, as many columns as the width holds.
//
// Art: while the page scrolls, cells flying past ask for no picture. The pictures of the cells
// on screen are asked for once the scrolling pauses, so a fast scroll through 100,000 tracks
// costs a screenful of pictures, not thousands (plex.js queues them, so they never take every
// connection the next page of items needs).

import { clearArt, setArt } from "../plex.js";

export const PAGE_SIZE = 100;
const OVERSCAN_PX = 360; // rendered beyond each edge of the viewport
const MAX_PAGES = 30; // pages kept in memory
const RETRY_AFTER = 3000; // ms before a page that failed to load is asked for again
const ART_SETTLE = 120; // ms without scrolling before the cells on screen get their pictures
const PAGE_THROTTLE = 100; // ms between rounds of page requests while scrolling

/**
 * `measure(width)` → `{ columns, cellWidth, rowHeight, gap }` for the container's width;
 * `fetchPage(query, page, signal)` → the page's items; `createCell()` → an element;
 * `fillCell(cell, item | undefined, index, art)`, where `art(img, url)` shows a picture once
 * the scrolling pauses; `itemKey(item)` names an item (a cell is only refilled when it changes).
 */
export function createVirtualGrid(container, { measure, fetchPage, createCell, fillCell, itemKey }) {
  let total = 0;
  let query = null; // what fetchPage gets: the filters and sort this grid shows
  let generation = 0;
  let layout = { columns: 1, cellWidth: 0, rowHeight: 56, gap: 0 };
  let frame = 0;
  let active = true;
  const pages = new Map(); // page number → items, least recently used first
  const loading = new Map(); // page number → AbortController
  const failed = new Map(); // page number → time of failure
  const cells = new Map(); // item index → cell element
  const spare = [];
  const artWaiting = new Map(); // img → url, waiting for the scrolling to pause
  let scrolling = false;
  let settle = 0;
  let refreshKey = ""; // anything else a cell shows (the server's id, for links)

  function relayout() {
    layout = measure(container.clientWidth);
    const rows = Math.ceil(total / layout.columns);
    container.style.height = `${rows * layout.rowHeight}px`;
    // Where an item is, for a script that scrolls to one (the benchmarks, the tests).
    container.dataset.columns = String(layout.columns);
    container.dataset.rowHeight = String(layout.rowHeight);
  }

  function schedule() {
    if (!frame && active) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    }
  }

  function visibleRange() {
    const top = container.getBoundingClientRect().top;
    const from = Math.max(0, -top - OVERSCAN_PX);
    const to = Math.max(0, window.innerHeight - top + OVERSCAN_PX);
    const first = Math.floor(from / layout.rowHeight) * layout.columns;
    const last = Math.min(total - 1, (Math.ceil(to / layout.rowHeight) + 1) * layout.columns - 1);
    return [first, last];
  }

  function render() {
    if (!active) return;
    const [first, last] = total ? visibleRange() : [0, -1];
    for (const [index, cell] of cells) {
      if (index < first || index > last) {
        cells.delete(index);
        cell.hidden = true;
        cell.renderKey = "";
        for (const img of cell.querySelectorAll("img")) art(img, "");
        spare.push(cell);
      }
    }
    const wanted = new Set();
    for (let index = first; index <= last; index++) {
      const page = Math.floor(index / PAGE_SIZE);
      const items = pages.get(page);
      if (!items) wanted.add(page);
      let cell = cells.get(index);
      if (!cell) {
        cell = spare.pop() || createCell();
        cells.set(index, cell);
        if (!cell.isConnected) container.append(cell);
        cell.hidden = false;
      }
      place(cell, index, items ? items[index % PAGE_SIZE] : undefined);
    }
    for (const [page, controller] of loading) {
      if (!wanted.has(page)) {
        controller.abort();
        loading.delete(page);
      }
    }
    requestPages(wanted);
  }

  // While the page scrolls, pages are asked for at most every PAGE_THROTTLE ms (the first at
  // once): a fling through thousands of rows asks for where it is, not for every page it
  // passes (each of which would cost the server a query, aborted or not).
  let throttle = 0;
  let throttled = false;
  function requestPages(wanted) {
    if (throttle && scrolling) {
      throttled = true;
      return;
    }
    for (const page of wanted) load(page);
    if (scrolling && !throttle) {
      throttle = setTimeout(() => {
        throttle = 0;
        if (throttled) {
          throttled = false;
          render();
        }
      }, PAGE_THROTTLE);
    }
  }

  function place(cell, index, item) {
    const { columns, cellWidth, rowHeight } = layout;
    const key = `${generation}:${index}:${item ? itemKey(item) : "-"}:${columns}:${cellWidth}:${rowHeight}:${refreshKey}`;
    if (cell.renderKey === key) return;
    cell.renderKey = key;
    const column = index % columns;
    const x = column * (cellWidth + layout.gap);
    cell.style.transform = `translate(${x}px, ${Math.floor(index / columns) * rowHeight}px)`;
    if (columns > 1) cell.style.width = `${cellWidth}px`;
    cell.setAttribute("aria-posinset", String(index + 1));
    cell.setAttribute("aria-setsize", String(total));
    cell.classList.toggle("is-placeholder", !item);
    fillCell(cell, item, index, art);
  }

  /** Show `url` in `img` (nothing for ""), once the scrolling pauses. */
  function art(img, url) {
    if (img.dataset.url === url) return;
    img.dataset.url = url;
    clearArt(img);
    artWaiting.delete(img);
    if (!url) return;
    if (scrolling) artWaiting.set(img, url);
    else setArt(img, url);
  }

  function showWaitingArt() {
    for (const [img, url] of artWaiting) {
      if (img.dataset.url === url && !img.closest("[hidden]")) setArt(img, url);
    }
    artWaiting.clear();
  }

  function onScroll() {
    if (!active) return;
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
      (items) => {
        if (forGeneration !== generation) return;
        loading.delete(page);
        failed.delete(page);
        keep(page, items);
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

  function keep(page, items) {
    pages.delete(page);
    pages.set(page, items);
    while (pages.size > MAX_PAGES) pages.delete(pages.keys().next().value);
  }

  function resize() {
    if (!active) return;
    relayout();
    schedule();
  }

  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", resize);

  return {
    /** Show `count` items for `nextQuery`, of which the first page is `firstPage`. */
    reset(nextQuery, count, firstPage) {
      generation += 1;
      for (const controller of loading.values()) controller.abort();
      loading.clear();
      failed.clear();
      pages.clear();
      query = nextQuery;
      total = count;
      keep(0, firstPage);
      relayout();
      render();
    },
    /** Shown or hidden with its view: a hidden grid neither renders nor fetches. */
    setActive(on) {
      active = on;
      if (on) {
        relayout();
        render();
      } else {
        for (const controller of loading.values()) controller.abort();
        loading.clear();
      }
    },
    /** Fill the cells again (what they show besides the item changed: `key` names it). */
    refresh(key) {
      refreshKey = key;
      schedule();
    },
    get total() {
      return total;
    },
    get query() {
      return query;
    },
  };
}
