// The track list: a virtual list (virtualgrid.js, one column) of track rows (trackrow.js) over
// the whole filtered library. Only the rows on screen exist; pages of 100 tracks are fetched as
// they scroll into view.

import { getTracks } from "../api.js";
import { createTrackRow, fillTrackRow } from "./trackrow.js";
import { PAGE_SIZE, createVirtualGrid } from "./virtualgrid.js";

export { PAGE_SIZE };

export function createTrackList(container, { onAdd, onFilterArtist }) {
  const rowHeight = () => Number.parseFloat(getComputedStyle(container).getPropertyValue("--row-h")) || 56;
  return createVirtualGrid(container, {
    measure: (width) => ({ columns: 1, cellWidth: width, rowHeight: rowHeight(), gap: 0 }),
    // `query`: the filters, the sort and (for a shuffle) its seed, as the first page had them.
    fetchPage: ({ filters, sort, seed }, page, signal) =>
      getTracks(filters, { sort, seed, offset: page * PAGE_SIZE, limit: PAGE_SIZE, signal }).then(
        (body) => body.tracks,
      ),
    createCell: () => createTrackRow({ onAdd, onFilterArtist }),
    fillCell: (row, track, index, art) => fillTrackRow(row, track, art),
    itemKey: (track) => track.rating_key,
  });
}
