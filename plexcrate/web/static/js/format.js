// Formatting for people: counts, relative times, durations and ratings. Pure functions, no DOM,
// so they can be checked on their own (tests import this module in the browser).

const LOCALE = "en";
const numbers = new Intl.NumberFormat(LOCALE);
const relative = new Intl.RelativeTimeFormat(LOCALE, { numeric: "auto" });

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** 18432 → "18,432". */
export function formatCount(n) {
  return numbers.format(n);
}

/** "1 track", "18,432 tracks". */
export function plural(n, one, many = `${one}s`) {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * How long ago `when` (an ISO 8601 string, a Date or epoch milliseconds) was, as a person says
 * it: "just now", "5 minutes ago", "an hour ago", "yesterday", "3 days ago", "last month".
 * A time in the future (a clock a little ahead) reads "just now".
 */
export function relativeTime(when, now = Date.now()) {
  const then = when instanceof Date ? when.getTime() : typeof when === "number" ? when : Date.parse(when);
  if (Number.isNaN(then)) return "";
  const ago = now - then;
  if (ago < 45 * SECOND) return "just now";
  if (ago < 90 * SECOND) return "a minute ago";
  if (ago < 45 * MINUTE) return relative.format(-Math.round(ago / MINUTE), "minute");
  if (ago < 90 * MINUTE) return "an hour ago";
  if (ago < 22 * HOUR) return relative.format(-Math.round(ago / HOUR), "hour");
  if (ago < 48 * HOUR) return "yesterday";
  if (ago < 7 * DAY) return relative.format(-Math.floor(ago / DAY), "day");
  if (ago < 30 * DAY) return relative.format(-Math.floor(ago / (7 * DAY)), "week");
  if (ago < 365 * DAY) return relative.format(-Math.max(1, Math.floor(ago / (30 * DAY))), "month");
  return relative.format(-Math.floor(ago / (365 * DAY)), "year");
}

/** A track's length: 227272 → "3:47", 3723000 → "1:02:03"; null → "". */
export function formatDuration(ms) {
  if (ms == null || ms < 0) return "";
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A playlist's length: "45 min", "3 h 21 min", "2 h". */
export function formatLength(ms) {
  const minutes = Math.round((ms || 0) / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** Plex's 0–10 as stars: 7 → "3½". */
export function starsText(rating) {
  const whole = Math.floor(rating / 2);
  const half = rating % 2 === 1;
  if (whole === 0 && half) return "½";
  return `${whole}${half ? "½" : ""}`;
}

/** For screen readers and titles: 7 → "3½ stars", 2 → "1 star", 1 → "½ star". */
export function starsLabel(rating) {
  const text = starsText(rating);
  return `${text} ${rating === 2 || rating === 1 ? "star" : "stars"}`;
}

/** The minimum-rating filter in words: 0 → "Any rating", 7 → "3½ stars or more". */
export function minRatingLabel(rating) {
  if (!rating) return "Any rating";
  if (rating === 10) return "5 stars";
  return `${starsLabel(rating)} or more`;
}

/** A sync's progress as a whole percentage (never 100 until it is done), or null if unknown. */
export function percent(progress) {
  if (!progress || !progress.total) return null;
  return Math.min(99, Math.floor((progress.current / progress.total) * 100));
}
