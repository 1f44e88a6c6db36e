// "Keep as a living playlist" from the page: the recipe's first values from the page's choice
// (its rule, its sort) and the playlist builder's options where they apply (how long, favour
// higher ratings, tracks per artist). No DOM.

import { suggestName } from "../builder/state.js";
import { store } from "../state.js";

const whole = (text, fallback) => {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 ? n : fallback;
};

/** `rule`: currentRule() (null: every track); `form`: the builder's form as typed. */
export function keepValues(rule, form, { filters = store.filters, sort = store.sort } = {}) {
  return {
    name: suggestName(filters),
    rule: rule ?? { all: [] },
    limit: form?.byMinutes ? { minutes: whole(form.minutes, 60) } : { tracks: whole(form?.count, 50) },
    sort: sort === "default" ? "random" : sort,
    favour_rating: Boolean(form?.favour),
    max_per_artist: form?.cap ? whole(form.perArtist, null) : null,
    refresh: "after_sync",
    mode: "update",
  };
}
