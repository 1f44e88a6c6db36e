// The rule language in the browser (the server's is cache/rules.py; GET /api/filters lists its
// fields and operators). A rule is a condition {field, op, value} or a group {all: [...]},
// {any: [...]}, {not: rule}. The page's whole choice is the declared filters (each a shorthand
// for a condition, as /api/filters says) ANDed with one extra rule, `filters.rule`, which the
// address holds as JSON beside them. Here: reading and checking a rule, the filters as
// conditions, the top-level conditions the panel edits, and a rule said in words.

import { formatCount } from "./format.js";
import { humanize, kindName } from "./labels.js";
import { declarations, fields } from "./vocabulary.js";

const MAX_DEPTH = 8;
const MAX_RULE_TEXT = 16_000;

export const isGroup = (rule) => rule && typeof rule === "object" && ("all" in rule || "any" in rule || "not" in rule);
export const groupKind = (rule) => ("all" in rule ? "all" : "any" in rule ? "any" : "not");

/** A rule from the address's text, shallowly checked (the server checks it whole); null if none. */
export function parseRuleText(text) {
  if (!text || text.length > MAX_RULE_TEXT) return null;
  try {
    const rule = JSON.parse(text);
    return wellFormed(rule, 0) ? normalizeRule(rule) : null;
  } catch {
    return null;
  }
}

function wellFormed(rule, depth) {
  if (!rule || typeof rule !== "object" || Array.isArray(rule) || depth > MAX_DEPTH) return false;
  if ("all" in rule || "any" in rule) {
    const list = rule.all ?? rule.any;
    return Array.isArray(list) && list.every((r) => wellFormed(r, depth + 1));
  }
  if ("not" in rule) return wellFormed(rule.not, depth + 1);
  return typeof rule.field === "string" && typeof rule.op === "string";
}

/** The same rule with empty groups dropped; null when nothing is left. */
export function normalizeRule(rule) {
  if (!rule) return null;
  if ("all" in rule || "any" in rule) {
    const kind = groupKind(rule);
    const list = rule[kind].map(normalizeRule).filter(Boolean);
    return list.length ? { [kind]: list } : null;
  }
  if ("not" in rule) {
    const inner = normalizeRule(rule.not);
    return inner ? { not: inner } : null;
  }
  return rule;
}

/** The top level's parts: the list of an "all", or the rule alone. */
export function topLevel(rule) {
  if (!rule) return [];
  return "all" in rule ? rule.all : [rule];
}

/** Rules ANDed into one ({all: [...]}, flattened); null when there is none. */
export function allOf(...rules) {
  const parts = rules.flatMap((r) => topLevel(normalizeRule(r)));
  return parts.length === 0 ? null : parts.length === 1 ? parts[0] : { all: parts };
}

/** The rule with its top-level condition on `field` with `op` set to `value` (dropped when
 * `value` is null or an empty list). */
export function withCondition(rule, field, op, value) {
  const others = topLevel(rule).filter((r) => !(r.field === field && r.op === op));
  const empty = value == null || (Array.isArray(value) && value.length === 0);
  return allOf({ all: empty ? others : [...others, { field, op, value }] });
}

/** The top-level condition's value on `field` with `op` (undefined when none). */
export function conditionValue(rule, field, op) {
  return topLevel(rule).find((r) => r.field === field && r.op === op)?.value;
}

/** The rule without the top-level part at `index`. */
export const withoutPart = (rule, index) => allOf({ all: topLevel(rule).filter((_, i) => i !== index) });

/** One declared filter's value as its condition (null when it restricts nothing). */
export function filterCondition(d, value) {
  // A flag restricts when on, even by default (exclude_live: live is false).
  if (d.type === "bool") return value && d.rule?.field ? { field: d.rule.field, op: d.rule.op, value: false } : null;
  if (value == null || value === "" || value === d.default || (Array.isArray(value) && !value.length)) return null;
  const { field, op } = d.rule ?? {};
  if (!field) return null;
  if (d.name === "played") return value === "never" ? { field: "plays", op: "is", value: 0 } : { field: "plays", op: "ge", value: 1 };
  return { field, op, value: Array.isArray(value) ? [...value] : value };
}

/** The filters as conditions, in the declarations' order: [{name, condition}]. */
export function filterConditions(filters) {
  return declarations()
    .map((d) => ({ name: d.name, condition: filterCondition(d, filters[d.name]) }))
    .filter((x) => x.condition);
}

// --- in words -------------------------------------------------------------------------------

const OPS = {
  is: "is",
  is_not: "is not",
  any_of: "is any of",
  all_of: "has all of",
  none_of: "is none of",
  is_empty: "is empty",
  is_not_empty: "is not empty",
  contains: "contains",
  not_contains: "does not contain",
  starts_with: "starts with",
  lt: "is less than",
  le: "is at most",
  gt: "is more than",
  ge: "is at least",
  between: "is between",
  in_last_days: "in the last",
  not_in_last_days: "not in the last",
  before: "before",
  after: "after",
  matches: "matches",
};

export const opLabel = (op) => OPS[op] ?? humanize(op).toLowerCase();

/** A field's name in a sentence: "genre", "last played", "album type". */
export function fieldLabel(field) {
  const kind = fields().find((f) => f.name === field);
  if (kind?.type === "tags") return kindName(field);
  return humanize(field).toLowerCase();
}

const stars = (v) => `${v / 2}★`;

function valueWords(field, op, value) {
  const type = fields().find((f) => f.name === field)?.type;
  if (Array.isArray(value)) {
    if (op === "between") return `${one(field, value[0])} and ${one(field, value[1])}`;
    return value.length > 3 ? `${value.slice(0, 3).join(", ")} +${value.length - 3}` : value.join(", ");
  }
  if (op === "in_last_days" || op === "not_in_last_days") return `${formatCount(value)} days`;
  if (type === "date") return String(value);
  return one(field, value);
}

function one(field, value) {
  if (field === "rating") return stars(value);
  if (field === "duration") return `${Math.floor(value / 60)}:${String(value % 60).padStart(2, "0")}`;
  return typeof value === "number" ? formatCount(value) : String(value);
}

/** One condition in a few words: "style is none of Shoegaze", "rating is at least 4★". */
export function describeCondition(c) {
  const { field, op, value } = c;
  if (field === "live") return value ? "live recordings only" : "no live recordings";
  if (field === "search") return `matching “${value}”`;
  if (field === "plays" && op === "is" && value === 0) return "never played";
  if (field === "plays" && op === "ge" && value === 1) return "played";
  if (field === "last_played" && op === "is_empty") return "never played";
  if (field === "rating" && op === "is_empty") return "unrated";
  if (field === "rating" && op === "is_not_empty") return "rated";
  const name = fieldLabel(field);
  if (op === "is_empty" || op === "is_not_empty") return `${name} ${opLabel(op)}`;
  if (field === "added" || field === "last_played") {
    const verb = field === "added" ? "added" : "played";
    return `${verb} ${opLabel(op)} ${valueWords(field, op, value)}`;
  }
  return `${name} ${opLabel(op)} ${valueWords(field, op, value)}`;
}

/** A rule as a sentence: "genre is any of Rock and (style is Shoegaze or not mood is Sad)". */
export function describeRule(rule, nested = false) {
  if (!rule) return "every track";
  if (!isGroup(rule)) return describeCondition(rule);
  const kind = groupKind(rule);
  if (kind === "not") return `not ${describeRule(rule.not, true)}`;
  const parts = rule[kind].map((r) => describeRule(r, true));
  const text = parts.join(kind === "all" ? " and " : " or ");
  return nested && parts.length > 1 ? `(${text})` : text;
}
