// The library's filters as the server declares them (GET /api/filters): their names, types,
// bounds and defaults, and the kinds of tag they name, with their words. Everything that reads or writes a filter (the address bar, the API's
// query strings, the playlist builder's JSON body) follows these declarations, so a filter the
// server adds needs no change here.

import { getFilters } from "./api.js";
import { parseRuleText, topLevel } from "./rules.js";

let declared = [];
let sortNames = ["default", "random"];
let kinds = [];
let ruleFields = [];

// Beside the declared filters, `rule`: a rule ANDed with them (rules.js), null when none. The
// address and the API's query strings hold it as JSON (`rule=`), so they hold the whole choice.
export const RULE = "rule";

/** Fetch the declarations once, before the page reads any filter. */
export async function loadVocabulary() {
  const body = await getFilters();
  declared = body.filters;
  sortNames = body.sorts;
  kinds = body.tag_kinds;
  ruleFields = body.fields ?? [];
}

export const declarations = () => declared;
export const sorts = () => sortNames;
/** Every kind of tag, in the server's order, with its words (one, many, phrases). */
export const tagKinds = () => kinds;
/** The rule language's fields: [{name, type, operators, minimum, maximum, help}]. */
export const fields = () => ruleFields;

const REPEATABLE = new Set(["names", "decades"]);
const DECADE = /^\d{3}0s$/;

/** Every filter at the value that restricts nothing. */
export function defaultFilters() {
  const filters = Object.fromEntries(declared.map((d) => [d.name, REPEATABLE.has(d.type) ? [] : d.default]));
  return { ...filters, [RULE]: null };
}

/** One filter's value read from a query string's values; invalid values give the default. */
function parseValue(d, values) {
  const first = values[0];
  switch (d.type) {
    case "names":
      return values.filter(Boolean).map((v) => v.slice(0, d.max_length ?? v.length)).slice(0, 100);
    case "decades":
      return values.filter((v) => DECADE.test(v)).slice(0, 100);
    case "int": {
      const number = Number.parseInt(first ?? "", 10);
      if (!Number.isFinite(number)) return d.default;
      return Math.min(d.maximum ?? number, Math.max(d.minimum ?? number, number));
    }
    case "bool":
      return first === undefined ? d.default : first !== "false";
    case "choice":
      return d.choices.includes(first) ? first : d.default;
    default:
      return (first ?? d.default ?? "").slice(0, d.max_length ?? undefined);
  }
}

/** The filters in a query string (the address bar's). */
export function filtersFromParams(params) {
  const filters = Object.fromEntries(declared.map((d) => [d.name, parseValue(d, params.getAll(d.name))]));
  return { ...filters, [RULE]: parseRuleText(params.get(RULE)) };
}

function isDefault(d, value) {
  return REPEATABLE.has(d.type) ? value.length === 0 : value === d.default || value == null || value === "";
}

/** The filters that restrict something, as query parameters. */
export function filterParams(filters) {
  const params = new URLSearchParams();
  for (const d of declared) {
    const value = filters[d.name];
    if (value === undefined || isDefault(d, value)) continue;
    if (REPEATABLE.has(d.type)) for (const v of value) params.append(d.name, v);
    else params.set(d.name, String(value));
  }
  if (filters[RULE]) params.set(RULE, JSON.stringify(filters[RULE]));
  return params;
}

/** The same filters as a JSON object (the playlist builder's body; its rule goes beside). */
export function filterBody(filters) {
  return Object.fromEntries(
    declared
      .filter((d) => filters[d.name] !== undefined)
      .map((d) => [d.name, REPEATABLE.has(d.type) ? [...filters[d.name]] : filters[d.name]]),
  );
}

/** How many filters restrict something, the search apart (the "Filters (2)" badge). */
export function activeFilterCount(filters) {
  let count = 0;
  for (const d of declared) {
    const value = filters[d.name];
    if (d.type === "text" || value === undefined || isDefault(d, value)) continue;
    count += REPEATABLE.has(d.type) ? value.length : 1;
  }
  return count + topLevel(filters[RULE]).length;
}
