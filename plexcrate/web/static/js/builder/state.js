// The playlist builder's state: the preview (its tracks, in order, and which were added by
// hand), what was removed from it, what it was picked with, the form's options and the name.
// No DOM here. The whole state is kept in this tab's sessionStorage after every change, so a
// reload, Back from another site or a closed and reopened builder finds the preview as it was.

import { formatCount, formatLength, minRatingLabel, plural } from "../format.js";

const KEY = "plexcrate.builder";
const VERSION = 1;

export const MAX_PICK = 1000;
export const MAX_MINUTES = 6000;
export const MAX_PER_ARTIST = 100;

/** The form's options as they start. */
export const DEFAULT_FORM = Object.freeze({
  byMinutes: false,
  count: "50",
  minutes: "60",
  favour: false,
  cap: false,
  perArtist: "2",
});

export function createBuilderState() {
  return {
    tracks: [], // the preview, in order
    excluded: new Set(), // removed or swapped out: never picked again for this preview
    manual: new Set(), // added by hand: they stay when picking again
    pickedFor: null, // { filters, opts } the preview was picked with
    exhausted: false, // the filters hold no more tracks than the preview has (or had)
    available: 0, // how many the filters and options gave, when that was fewer than asked
    form: { ...DEFAULT_FORM }, // the options as typed (text, so a half-typed number survives)
    name: "",
    lastSuggestion: "",
  };
}

/** Keep the state in this tab (a reload and Back find it); quietly nothing without storage. */
export function persist(state) {
  const kept = {
    version: VERSION,
    tracks: state.tracks,
    excluded: [...state.excluded],
    manual: [...state.manual],
    pickedFor: state.pickedFor,
    exhausted: state.exhausted,
    available: state.available,
    form: state.form,
    name: state.name,
    lastSuggestion: state.lastSuggestion,
  };
  try {
    sessionStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    // private mode or full storage: the preview lasts as long as the page
  }
}

/** The state this tab kept, or a fresh one. */
export function restoreBuilderState() {
  const state = createBuilderState();
  let kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    kept = null;
  }
  if (!kept || kept.version !== VERSION || !Array.isArray(kept.tracks)) return state;
  const keys = (list) => (Array.isArray(list) ? list.filter(Number.isInteger) : []);
  state.tracks = kept.tracks.filter((t) => t && Number.isInteger(t.rating_key));
  state.excluded = new Set(keys(kept.excluded));
  state.manual = new Set(keys(kept.manual));
  state.pickedFor = kept.pickedFor && typeof kept.pickedFor === "object" ? kept.pickedFor : null;
  state.exhausted = Boolean(kept.exhausted);
  state.available = Number(kept.available) || 0;
  state.form = { ...DEFAULT_FORM, ...(kept.form || {}) };
  state.name = typeof kept.name === "string" ? kept.name : "";
  state.lastSuggestion = typeof kept.lastSuggestion === "string" ? kept.lastSuggestion : "";
  return state;
}

export const keysOf = (tracks) => tracks.map((t) => t.rating_key);

export function totalMs(tracks) {
  return tracks.reduce((sum, t) => sum + (t.duration_ms || 0), 0);
}

/** The tracks added by hand, in the preview's order: what a new pick keeps. */
export function handAdded(state) {
  return state.tracks.filter((t) => state.manual.has(t.rating_key));
}

/** What a playlist holding `before` would gain and lose by holding `after` instead. */
export function changes(before, after) {
  const old = new Set(before);
  const next = new Set(after);
  return {
    removed: before.filter((key) => !next.has(key)).length,
    added: after.filter((key) => !old.has(key)).length,
    kept: after.filter((key) => old.has(key)).length,
  };
}

/** A name that says what the playlist holds: "Rock & Jazz · 1990s · 4 stars or more". */
export function suggestName(filters) {
  const parts = [];
  const few = (values) => (values.length > 2 ? `${values.slice(0, 2).join(", ")} & more` : values.join(" & "));
  for (const name of ["genre", "style", "mood"]) if (filters[name]?.length) parts.push(few(filters[name]));
  if (filters.artist?.length) parts.push(few(filters.artist));
  if (filters.decade?.length) parts.push([...filters.decade].sort().join(", "));
  if (filters.min_rating) parts.push(minRatingLabel(filters.min_rating));
  if (filters.q) parts.push(`“${filters.q}”`);
  return parts.length ? parts.join(" · ") : "plexcrate mix";
}

/** Why the preview is shorter than asked, in words; "" when the filters had nothing at all. */
export function fewerThanAsked(opts, available) {
  if (!available) return "";
  const options = opts.max_per_artist || opts.favour_rating ? "filters and options" : "filters";
  if (opts.byMinutes) {
    return `Only ${formatLength(available)} of tracks match these ${options}, ` +
      `not the ${formatCount(opts.minutes)} minutes asked for.`;
  }
  return `Only ${plural(available, "track")} ${available === 1 ? "matches" : "match"} these ` +
    `${options}, not the ${formatCount(opts.count)} asked for.`;
}
