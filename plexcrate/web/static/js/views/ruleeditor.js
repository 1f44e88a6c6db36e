// The advanced rule editor: a dialog that edits a rule as nested groups ("all of", "any of",
// "none of", "not all of" these) of conditions (field, operator, value), said as a sentence as
// it changes, and checked by the server (the count it matches, or the server's message about
// what is wrong). Every control is a real select, input or button in reading order; adding a
// condition moves the focus to its field, removing one to its neighbour.
//
// Opened from the active filters bar ("Edit as a rule": the page's choice, applied to the
// address) and from a recipe's Edit (the recipe's rule).

import { countRule, isAbort } from "../api.js";
import { debounce, h, setText, show } from "../dom.js";
import { plural } from "../format.js";
import { openModal } from "../focus.js";
import { allOf, describeCondition, fieldLabel, filterCondition, groupKind, isGroup, opLabel } from "../rules.js";
import { store } from "../state.js";
import { RULE, declarations, defaultFilters, fields } from "../vocabulary.js";

const KINDS = [
  ["all", "all of"],
  ["any", "any of"],
  ["none", "none of"],
  ["notall", "not all of"],
];
const LIST_OPS = new Set(["any_of", "none_of", "all_of"]);
const NO_VALUE = new Set(["is_empty", "is_not_empty"]);
const DAYS_OPS = new Set(["in_last_days", "not_in_last_days"]);
const KEPT_APART = new Set(["q", "exclude_live"]); // the search box and the live switch stay filters

let nextId = 1;
const newId = () => nextId++;

// --- the editor's tree and the rule ------------------------------------------------------------

const group = (kind, items = []) => ({ type: "group", id: newId(), kind, items });

function condition(field = fields()[0]?.name ?? "genre") {
  const spec = fieldOf(field);
  return { type: "cond", id: newId(), field, op: spec?.operators[0] ?? "is", raw: ["", ""] };
}

const fieldOf = (name) => fields().find((f) => f.name === name);

/** The editor's tree of a rule (its top is always a group). */
export function treeOf(rule) {
  const node = nodeOf(rule);
  return node?.type === "group" ? node : group("all", node ? [node] : []);
}

function nodeOf(rule) {
  if (!rule) return null;
  if (isGroup(rule)) {
    const kind = groupKind(rule);
    if (kind !== "not") return group(kind, rule[kind].map(nodeOf).filter(Boolean));
    const inner = rule.not;
    if (isGroup(inner) && groupKind(inner) !== "not") {
      const innerKind = groupKind(inner);
      return group(innerKind === "any" ? "none" : "notall", inner[innerKind].map(nodeOf).filter(Boolean));
    }
    return group("none", [nodeOf(inner)].filter(Boolean));
  }
  const { field, op, value } = rule;
  let raw = ["", ""];
  if (op === "between" && Array.isArray(value)) raw = value.map(String);
  else if (Array.isArray(value)) raw = [value.join(", "), ""];
  else if (value != null) raw = [String(value), ""];
  return { type: "cond", id: newId(), field, op, raw };
}

/** The rule a tree says (null when it says nothing). */
export function ruleOf(node) {
  if (node.type === "cond") return conditionRule(node);
  const items = node.items.map(ruleOf).filter(Boolean);
  if (!items.length) return null;
  if (node.kind === "all") return items.length === 1 ? items[0] : { all: items };
  if (node.kind === "any") return items.length === 1 ? items[0] : { any: items };
  if (node.kind === "none") return { not: items.length === 1 ? items[0] : { any: items } };
  return { not: items.length === 1 ? items[0] : { all: items } };
}

function conditionRule({ field, op, raw }) {
  if (NO_VALUE.has(op)) return { field, op };
  const type = fieldOf(field)?.type;
  const number = (text) => (text.trim() === "" ? null : Number(text));
  let value;
  if (LIST_OPS.has(op)) {
    value = raw[0].split(",").map((v) => v.trim()).filter(Boolean);
    if (type === "playlist") value = value.map(Number);
  } else if (op === "between") {
    value = [number(raw[0]), number(raw[1])];
  } else if (type === "number" || DAYS_OPS.has(op) || type === "playlist") {
    value = number(raw[0]);
  } else if (type === "bool") {
    value = raw[0] !== "false";
  } else {
    value = raw[0].trim();
  }
  return { field, op, value };
}

const incomplete = ({ op, value }) =>
  !NO_VALUE.has(op) &&
  (value == null || value === "" || Number.isNaN(value) || (Array.isArray(value) && (!value.length || value.some((v) => v == null || Number.isNaN(v)))));

/** A rule as a sentence: "Genre is any of Rock, Jazz and not (rating is at most 2★)". */
export function sentenceOf(rule) {
  if (!rule) return "Every track.";
  const text = say(rule, false);
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}${text.endsWith("…") ? "" : "."}`;
}

function say(rule, nested) {
  if (!isGroup(rule)) {
    if (incomplete(rule)) return `${fieldLabel(rule.field)} ${opLabel(rule.op)} …`;
    return describeCondition(rule);
  }
  const kind = groupKind(rule);
  if (kind === "not") return `not (${say(rule.not, false)})`;
  const parts = rule[kind].map((r) => say(r, true));
  const text = parts.join(kind === "all" ? " and " : " or ");
  return nested && parts.length > 1 ? `(${text})` : text;
}

// --- the dialog ----------------------------------------------------------------------------------

export function createRuleEditor() {
  const title = h("h2", { class: "modal-title", id: "rule-editor-title" }, "Edit as a rule");
  const sentence = h("p", { class: "rule-sentence", id: "rule-sentence" });
  const tree = h("div", { class: "rule-tree" });
  const status = h("p", { class: "rule-status", id: "rule-status", "aria-live": "polite" });
  const error = h("p", { class: "form-error", id: "rule-error", role: "alert", hidden: true });
  const apply = h("button", { type: "submit", class: "btn btn-primary", id: "rule-apply" }, "Apply");
  const cancel = h("button", { type: "button", class: "btn btn-quiet", onclick: () => hide() }, "Cancel");
  const form = h(
    "form",
    { class: "rule-form", novalidate: true, onsubmit: (event) => (event.preventDefault(), applyRule()) },
    h("div", { class: "rule-sentence-box" }, h("p", { class: "recipe-rule-label" }, "In words"), sentence),
    tree,
    status,
    error,
    h("div", { class: "form-actions" }, apply, cancel),
  );
  const dialog = h(
    "div",
    { class: "modal rule-editor", role: "dialog", "aria-modal": "true", "aria-labelledby": "rule-editor-title", tabindex: "-1", id: "rule-editor" },
    title,
    form,
  );
  const backdrop = h("div", { class: "backdrop backdrop-center", hidden: true }, dialog);
  backdrop.addEventListener("click", (event) => event.target === backdrop && hide());
  document.body.append(backdrop);

  let root = group("all");
  let close = null;
  let onApply = () => {};
  let liveOut = false;
  let controller = null;
  let checked = null; // [JSON of the rule, total or Error] of the last check

  // --- drawing ---

  function render(focusKey = null) {
    const keep = focusKey ?? (tree.contains(document.activeElement) ? document.activeElement.dataset.key : null);
    tree.replaceChildren(groupView(root, null));
    if (keep) tree.querySelector(`[data-key="${keep}"]`)?.focus();
    changed();
  }

  function groupView(node, parent) {
    const kind = h(
      "select",
      { class: "input input-small", dataset: { key: `${node.id}:kind` }, "aria-label": parent ? "This group matches" : "Tracks match" },
      KINDS.map(([value, label]) => h("option", { value, selected: value === node.kind }, label)),
    );
    kind.addEventListener("change", () => {
      node.kind = kind.value;
      changed();
    });
    const items = h(
      "ol",
      { class: "rule-items" },
      node.items.map((item) => h("li", {}, item.type === "group" ? groupView(item, node) : conditionView(item, node))),
    );
    return h(
      "div",
      { class: `rule-group${parent ? " is-nested" : ""}`, role: "group", "aria-label": parent ? "A group of conditions" : "The rule" },
      h(
        "div",
        { class: "rule-group-head" },
        h("span", {}, parent ? "Matching" : "Tracks matching"),
        kind,
        h("span", {}, "these:"),
        parent
          ? h("button", { type: "button", class: "btn btn-small btn-quiet", dataset: { key: `${node.id}:remove` }, onclick: () => removeNode(parent, node) }, "Remove group")
          : null,
      ),
      node.items.length ? items : h("p", { class: "muted small" }, "No conditions yet: every track."),
      h(
        "div",
        { class: "rule-group-tools" },
        h("button", { type: "button", class: "btn btn-small", dataset: { key: `${node.id}:add` }, onclick: () => addCondition(node) }, "+ Condition"),
        h("button", { type: "button", class: "btn btn-small", dataset: { key: `${node.id}:group` }, onclick: () => addGroup(node) }, "+ Group"),
      ),
    );
  }

  /** A condition's row. A change of field or operator redraws the controls after it, in place:
   * the select keeps the focus (and its type-ahead: "ra" is Rating). */
  function conditionView(node, parent) {
    const fieldSelect = h(
      "select",
      { class: "input input-small", dataset: { key: `${node.id}:field` }, "aria-label": "Field" },
      fields().map((f) => h("option", { value: f.name, selected: f.name === node.field }, capital(fieldLabel(f.name)))),
    );
    const remove = h(
      "button",
      { type: "button", class: "icon-button rule-remove", dataset: { key: `${node.id}:remove` }, "aria-label": "Remove this condition", title: "Remove this condition", onclick: () => removeNode(parent, node) },
      "×",
    );
    const row = h("div", { class: "rule-condition", role: "group", "aria-label": "Condition" }, fieldSelect, remove);
    let opSelect = null;
    let values = [];

    function fillValues() {
      for (const el of values) el.remove();
      values = valueInputs(node, fieldOf(node.field));
      remove.before(...values);
    }

    function fillOps() {
      opSelect?.remove();
      opSelect = h(
        "select",
        { class: "input input-small", dataset: { key: `${node.id}:op` }, "aria-label": "Operator" },
        (fieldOf(node.field)?.operators ?? [node.op]).map((op) => h("option", { value: op, selected: op === node.op }, opLabel(op))),
      );
      opSelect.addEventListener("change", () => {
        node.op = opSelect.value;
        fillValues();
        changed();
      });
      fieldSelect.after(opSelect);
      fillValues();
    }

    fieldSelect.addEventListener("change", () => {
      node.field = fieldSelect.value;
      const ops = fieldOf(node.field)?.operators ?? [];
      if (!ops.includes(node.op)) node.op = ops[0];
      node.raw = ["", ""];
      fillOps();
      changed();
    });
    fillOps();
    return row;
  }

  function valueInputs(node, spec) {
    const { op } = node;
    if (NO_VALUE.has(op)) return [];
    const type = spec?.type;
    const input = (index, attrs) => {
      const el = h("input", { class: "input input-small rule-value", dataset: { key: `${node.id}:value${index}` }, value: node.raw[index] ?? "", ...attrs });
      el.addEventListener("input", () => {
        node.raw[index] = el.value;
        changed();
      });
      return el;
    };
    const select = (options, label) => {
      const el = h(
        "select",
        { class: "input input-small rule-value", dataset: { key: `${node.id}:value0` }, "aria-label": label },
        options.map(([value, text]) => h("option", { value, selected: value === node.raw[0] }, text)),
      );
      if (!options.some(([value]) => value === node.raw[0])) node.raw[0] = options[0][0];
      el.addEventListener("change", () => {
        node.raw[0] = el.value;
        changed();
      });
      return el;
    };
    if (type === "bool") return [select([["true", "yes"], ["false", "no"]], "Value")];
    if (spec?.name === "rating" && op !== "between") {
      return [select(Array.from({ length: 10 }, (_, i) => [String(i + 1), `${(i + 1) / 2}★`]), "Rating")];
    }
    if (op === "between") {
      return [
        input(0, { type: "number", "aria-label": "From", min: spec?.minimum ?? undefined, max: spec?.maximum ?? undefined }),
        h("span", { class: "rule-and" }, "and"),
        input(1, { type: "number", "aria-label": "To", min: spec?.minimum ?? undefined, max: spec?.maximum ?? undefined }),
      ];
    }
    if (DAYS_OPS.has(op)) return [input(0, { type: "number", min: "1", "aria-label": "Days" }), h("span", { class: "rule-and" }, "days")];
    if (type === "date") return [input(0, { type: "date", "aria-label": "Day" })];
    if (type === "number") return [input(0, { type: "number", "aria-label": "Value", min: spec?.minimum ?? undefined, max: spec?.maximum ?? undefined })];
    const list = LIST_OPS.has(op);
    const placeholder = type === "decade" ? (list ? "1980s, 1990s" : "1990s") : list ? "Rock, Jazz" : "";
    return [input(0, { type: "text", "aria-label": list ? "Values, separated by commas" : "Value", placeholder, autocomplete: "off" })];
  }

  // --- changes ---

  function addCondition(node) {
    const item = condition();
    node.items.push(item);
    render(`${item.id}:field`);
  }

  function addGroup(node) {
    const inner = group("any", [condition()]);
    node.items.push(inner);
    render(`${inner.id}:kind`);
  }

  /** Remove `node` from `parent`; the focus goes to what took its place, else the one before,
   * else the group's "+ Condition". */
  function removeNode(parent, node) {
    const index = parent.items.indexOf(node);
    parent.items.splice(index, 1);
    const near = parent.items[index] ?? parent.items[index - 1];
    const key = near ? `${near.id}:${near.type === "group" ? "kind" : "field"}` : `${parent.id}:add`;
    render(key);
  }

  const checkLater = debounce(() => check(), 300);

  function changed() {
    setText(sentence, sentenceOf(ruleOf(root)));
    show(error, false);
    setText(status, "Checking…");
    checkLater();
  }

  /** Ask the server what the rule matches; the answer (a count, or its message) is shown. */
  async function check() {
    const rule = ruleOf(root);
    const key = JSON.stringify(rule);
    // Checked already (a condition added and removed again): its answer, shown again.
    if (checked?.[0] === key) return showAnswer(checked[1]);
    controller?.abort();
    controller = new AbortController();
    try {
      const total = await countRule(rule, { liveOut, signal: controller.signal });
      checked = [key, total];
      return showAnswer(total);
    } catch (problem) {
      if (isAbort(problem)) return null;
      checked = [key, problem];
      return showAnswer(problem);
    }
  }

  /** A count, or the server's refusal. */
  function showAnswer(answer) {
    if (typeof answer === "number") {
      setText(status, `${plural(answer, "track")} ${answer === 1 ? "matches" : "match"}${liveOut ? " (live recordings left out)" : ""}.`);
      show(error, false);
    } else {
      setText(status, "");
      setText(error, answer.message);
      show(error, true);
    }
    return answer;
  }

  async function applyRule() {
    checkLater.flush();
    const answer = await check();
    if (answer == null || answer instanceof Error) return;
    const rule = ruleOf(root);
    hide();
    onApply(rule, answer);
  }

  function open(rule, { apply: onRuleApply, applyLabel = "Apply", heading = "Edit as a rule", liveOut: out = false } = {}) {
    root = treeOf(rule);
    onApply = onRuleApply ?? (() => {});
    liveOut = out;
    checked = null;
    setText(title, heading);
    setText(apply, applyLabel);
    render();
    close = openModal(backdrop, dialog, { onEscape: hide, initialFocus: tree.querySelector("select") });
  }

  function hide() {
    controller?.abort();
    close?.();
    close = null;
  }

  return {
    /** Edit `rule`; `apply(rule, total)` is called with the rule once the server takes it. */
    open,
    /** Edit the page's choice (its filters and rule, the search and the live switch apart);
     * applying it puts it in the address as the rule. */
    editPage() {
      const filters = store.filters;
      const parts = declarations()
        .filter((d) => !KEPT_APART.has(d.name))
        .map((d) => filterCondition(d, filters[d.name]))
        .filter(Boolean);
      const rule = allOf(...parts, filters[RULE]);
      open(rule, {
        liveOut: Boolean(filters.exclude_live),
        applyLabel: "Apply to the list",
        apply: (next) => {
          const keep = { q: filters.q, exclude_live: filters.exclude_live };
          store.setFilters({ ...defaultFilters(), ...keep, [RULE]: next });
        },
      });
    },
    close: hide,
  };
}

const capital = (text) => text.charAt(0).toUpperCase() + text.slice(1);
