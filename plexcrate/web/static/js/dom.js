// A few DOM helpers. Text always goes in as text (never as HTML): track and artist names are
// whatever the Plex library holds, "<Angle> Brackets" included.

/**
 * Create an element: h("button", { class: "btn", type: "button", onclick: fn }, "Label").
 * Attributes starting with "on" become listeners; `dataset` and `aria` take objects; false,
 * null and undefined attributes are left out; children may be strings, nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(el.dataset, value);
    } else if (name === "class") {
      el.className = value;
    } else if (name === "text") {
      el.textContent = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A 24 × 24 icon drawn by one path, hidden from screen readers (its control has the name). */
export function icon(d) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("fill", "currentColor");
  path.setAttribute("d", d);
  svg.append(path);
  return svg;
}

export const ICONS = {
  open: "M14 3h7v7h-2V6.4l-9.3 9.3-1.4-1.4L17.6 5H14V3zM5 5h6v2H6v11h11v-5h2v6a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1z",
  add: "M3 6h12v2H3zm0 5h12v2H3zm0 5h8v2H3zm14-2v-3h2v3h3v2h-3v3h-2v-3h-3v-2z",
  filter: "M3 5h18v2l-7 7v5l-4 2v-7L3 7z",
  shuffle:
    "M17 3l4 4-4 4V8h-2.6l-3 4 3 4H17v-3l4 4-4 4v-3h-3.6l-3.4-4.5L6.6 18H3v-2h2.6l3-4-3-4H3V6h3.6L10 10.5 13.4 6H17z",
  back: "M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z",
};

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

/** Set an element's text only when it changes (no needless layout work on every poll). */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** Show or hide with the `hidden` attribute, only when it changes. */
export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}

/** Say something to screen-reader users through the page's polite live region. */
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A new text node in a later task is announced even when the message repeats.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/** Call `fn` once `wait` ms have passed without another call. */
export function debounce(fn, wait) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.flush = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return debounced;
}
