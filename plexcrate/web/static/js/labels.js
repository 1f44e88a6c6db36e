// Words for what the server declares by name: sorts, filters, their choices, kinds of tag (whose
// words the server declares too). A name this table doesn't know (a sort or filter the server
// added since) still gets a readable label made from the name itself, so it shows up without a
// change here.

import { minRatingLabel } from "./format.js";
import { tagKinds } from "./vocabulary.js";

const SORTS = {
  default: "Plex order",
  random: "Shuffled",
  title: "Title, A–Z",
  "-title": "Title, Z–A",
  artist: "Artist, A–Z",
  "-artist": "Artist, Z–A",
  album: "Album, A–Z",
  "-album": "Album, Z–A",
  year: "Year, oldest first",
  "-year": "Year, newest first",
  added: "Added, longest ago",
  "-added": "Recently added",
  rating: "Rating, lowest first",
  "-rating": "Rating, highest first",
  plays: "Plays, fewest first",
  "-plays": "Most played",
  last_played: "Played, longest ago",
  "-last_played": "Recently played",
  duration: "Shortest first",
  "-duration": "Longest first",
};

/** "last_played" → "Last played". */
export function humanize(name) {
  const words = name.replace(/^-/, "").replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function sortLabel(sort) {
  return SORTS[sort] ?? (sort.startsWith("-") ? `${humanize(sort)}, descending` : humanize(sort));
}

// What a kind of tag is called (one, many: facet groups, the token inputs' lists) is declared
// by the server with the kind (GET /api/filters), like its filters' phrases in a sentence.
const kindOf = (kind) => tagKinds().find((k) => k.name === kind);

/** "a genre", "an album type". */
export const withArticle = (noun) => `${/^[aeiou]/i.test(noun) ? "an" : "a"} ${noun}`;

export function kindName(kind, many = false) {
  const declared = kindOf(kind);
  const one = declared?.one ?? humanize(kind).toLowerCase();
  return many ? (declared?.many ?? `${one}s`) : one;
}

const CHOICES = {
  played: { any: "Any", never: "Never played", ever: "Played" },
};

export function choiceLabel(filter, choice) {
  return CHOICES[filter]?.[choice] ?? humanize(choice);
}

/** "Last 30 days", "Last year". */
export function withinDaysLabel(days) {
  const named = { 1: "Last day", 7: "Last week", 30: "Last 30 days", 90: "Last 3 months", 365: "Last year" };
  return named[days] ?? `Last ${days} days`;
}

/** The filters in a few words each, in the panel's order: "Rock, Jazz", "by Nina Simone"… */
export function describeFilters(filters, { withLive = true } = {}) {
  const parts = [];
  const list = (values) => values.join(", ");
  // "{}" in a kind's phrase stands for its values: "Rock, Jazz", "by Nina Simone", "no Pop".
  const phrased = (phrase, values) => phrase.replace("{}", () => list(values));
  const kinds = tagKinds();
  for (const kind of kinds) {
    if (filters[kind.name]?.length) parts.push(phrased(kind.phrase, filters[kind.name]));
  }
  if (filters.decade?.length) parts.push([...filters.decade].sort().join(", "));
  const [from, to] = [filters.year_min, filters.year_max];
  if (from != null && to != null) parts.push(from === to ? `${from}` : `${from}–${to}`);
  else if (from != null) parts.push(`from ${from}`);
  else if (to != null) parts.push(`until ${to}`);
  if (filters.min_rating) parts.push(minRatingLabel(filters.min_rating).toLowerCase());
  if (filters.added_within_days) parts.push(`added in the ${withinDaysLabel(filters.added_within_days).toLowerCase()}`);
  if (filters.played && filters.played !== "any") parts.push(choiceLabel("played", filters.played).toLowerCase());
  for (const kind of kinds) {
    const left = filters[`exclude_${kind.name}`];
    if (left?.length) parts.push(phrased(kind.exclude_phrase, left));
  }
  if (filters.q) parts.push(`matching “${filters.q}”`);
  if (withLive) parts.push(filters.exclude_live ? "no live recordings" : "live recordings included");
  return parts;
}
