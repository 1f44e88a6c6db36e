// Recipes in words: how a recipe refreshes, its last and next refresh, a refresh's result and
// a history entry. Pure functions, no DOM.

import { formatCount, plural, relativeTime } from "../format.js";

export const REFRESH_KINDS = [
  ["after_sync", "After each sync"],
  ["daily", "Daily"],
  ["weekly", "Weekly"],
  ["manual", "By hand"],
];
export const MODES = [
  ["update", "Keep and top up"],
  ["redraw", "A fresh draw each time"],
];
export const MODE_HINTS = {
  update: "Tracks that still match stay, in their order; those that no longer match go; new matches fill up.",
  redraw: "Every refresh draws the whole playlist again, like a daily discovery.",
};

export const refreshLabel = (kind) => REFRESH_KINDS.find(([k]) => k === kind)?.[1] ?? kind;
export const modeLabel = (mode) => MODE_HINTS[mode] && MODES.find(([m]) => m === mode)[1];

const REASONS = {
  created: "Made",
  sync: "After a sync",
  schedule: "On schedule",
  manual: "By hand",
  retry: "Tried again",
};
export const reasonLabel = (reason) => REASONS[reason] ?? reason;

/** "50 tracks" or "90 minutes". */
export function limitLabel(limit) {
  if (limit?.minutes != null) return `about ${plural(limit.minutes, "minute")}`;
  return plural(limit?.tracks ?? 50, "track");
}

/** A refresh's result: "+3 −2, 40 kept". */
export function changeLabel({ added, removed, kept }) {
  return `+${formatCount(added)} −${formatCount(removed)}, ${formatCount(kept)} kept`;
}

/** "in 3 hours", "tomorrow"; a moment already past reads "due now". */
export function untilLabel(when, now = Date.now()) {
  const then = Date.parse(when);
  if (Number.isNaN(then)) return "";
  const ahead = then - now;
  if (ahead <= 60_000) return "due now";
  const format = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  const hours = ahead / 3_600_000;
  if (hours < 1) return format.format(Math.round(ahead / 60_000), "minute");
  if (hours < 22) return format.format(Math.round(hours), "hour");
  return format.format(Math.round(hours / 24), "day");
}

/** When, in the reader's own clock: "12 Mar, 14:05". */
export function whenLabel(when) {
  const date = new Date(when);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString("en-GB", { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** When the next refresh comes, in words. */
export function nextLabel(recipe) {
  if (recipe.paused) return "Paused";
  if (recipe.refresh === "manual") return "When you refresh it";
  if (recipe.refresh === "after_sync") return "After the next sync";
  return recipe.next_refresh ? untilLabel(recipe.next_refresh) : "Soon";
}

export const lastLabel = (recipe) => (recipe.last_refresh ? relativeTime(recipe.last_refresh) : "Never");

/** What a history entry found besides the changes: hand edits, what Plex did not take. */
export function entryNotes(entry) {
  const notes = [];
  if (entry.hand_added) notes.push(`${plural(entry.hand_added, "track")} added by hand in Plex stayed`);
  if (entry.hand_removed) notes.push(`${plural(entry.hand_removed, "track")} removed by hand in Plex not added back`);
  if (entry.not_taken) notes.push(`Plex did not take ${plural(entry.not_taken, "track")}`);
  return [...notes, ...(entry.notes ?? [])];
}
