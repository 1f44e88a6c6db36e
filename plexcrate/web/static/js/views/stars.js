// Ratings as stars. Plex rates 0–10, two points a star, so 7 is three and a half stars.
// One element draws five stars (a CSS mask over a gradient), whatever the rating.

import { h } from "../dom.js";
import { minRatingLabel, starsLabel } from "../format.js";

const MAX = 10;

function fill(el, rating) {
  el.style.setProperty("--fill", `${(rating / MAX) * 100}%`);
}

/** A track's rating, read as "Rated 3½ stars"; empty for an unrated track. */
export function ratingStars(el, rating) {
  if (rating == null) {
    el.hidden = true;
    el.removeAttribute("aria-label");
    return;
  }
  el.hidden = false;
  el.setAttribute("aria-label", `Rated ${starsLabel(rating)}`);
  fill(el, rating);
}

export function ratingElement() {
  return h("span", { class: "stars", role: "img", hidden: true });
}

/**
 * The minimum-rating control: a slider over five stars, in half stars. Arrow keys move it by
 * half a star, Home clears it; a click on a star's left or right half picks that; a click on
 * the current value clears it.
 */
export function createRatingSlider({ labelledBy, onChange }) {
  let value = 0;
  const stars = h("span", { class: "stars stars-lg", "aria-hidden": "true" });
  const slider = h(
    "div",
    {
      class: "rating-slider",
      role: "slider",
      tabindex: "0",
      "aria-labelledby": labelledBy,
      "aria-valuemin": "0",
      "aria-valuemax": String(MAX),
    },
    stars,
  );

  function set(next, { notify = true } = {}) {
    next = Math.max(0, Math.min(MAX, next));
    const changed = next !== value;
    value = next;
    slider.setAttribute("aria-valuenow", String(value));
    slider.setAttribute("aria-valuetext", minRatingLabel(value));
    fill(stars, value);
    if (changed && notify) onChange(value);
  }

  function ratingAt(event) {
    const box = stars.getBoundingClientRect();
    const x = Math.min(Math.max(event.clientX - box.left, 0), box.width);
    return Math.max(1, Math.ceil((x / box.width) * MAX));
  }

  slider.addEventListener("click", (event) => {
    const picked = ratingAt(event);
    set(picked === value ? 0 : picked);
  });
  slider.addEventListener("pointermove", (event) => {
    stars.classList.add("is-previewing");
    fill(stars, ratingAt(event));
  });
  slider.addEventListener("pointerleave", () => {
    stars.classList.remove("is-previewing");
    fill(stars, value);
  });
  slider.addEventListener("keydown", (event) => {
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 2, PageDown: -2 };
    if (event.key in steps) set(value + steps[event.key]);
    else if (event.key === "Home" || event.key === "Delete" || event.key === "Backspace") set(0);
    else if (event.key === "End") set(MAX);
    else return;
    event.preventDefault();
  });

  set(0, { notify: false });
  return {
    element: slider,
    get value() {
      return value;
    },
    setValue: (next) => set(next, { notify: false }),
  };
}
