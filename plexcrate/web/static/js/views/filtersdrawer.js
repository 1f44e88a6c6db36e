// On a narrow screen the filters are a drawer over the list: the list comes first, and the
// "Filters" button slides them in from the side. Escape, the close button or a tap beside the
// drawer closes it, and the focus goes back to the button. On a wide screen this does nothing:
// the filters are a column beside the list.

import { h, show } from "../dom.js";

const NARROW = "(max-width: 899px)";

/** `onOpen()`: the drawer opened (its counts may be wanted now). */
export function createFiltersDrawer({ panel, toggle, onOpen = () => {} }) {
  const narrow = window.matchMedia(NARROW);
  const scrim = h("div", { class: "filters-scrim", hidden: true, onclick: () => setOpen(false) });
  const done = h(
    "button",
    { type: "button", class: "btn btn-small filters-done", onclick: () => setOpen(false) },
    "Show the tracks",
  );
  panel.before(scrim);
  panel.prepend(h("div", { class: "filters-drawer-head" }, done));

  function isOpen() {
    return toggle.getAttribute("aria-expanded") === "true";
  }

  function setOpen(open, { focus = true } = {}) {
    if (open === isOpen()) return;
    toggle.setAttribute("aria-expanded", String(open));
    panel.classList.toggle("is-open", open);
    const drawer = open && narrow.matches;
    show(scrim, drawer);
    document.body.classList.toggle("has-drawer", drawer);
    if (open) onOpen();
    if (!focus) return;
    if (drawer) done.focus();
    else if (!open && narrow.matches) toggle.focus();
  }

  toggle.addEventListener("click", () => setOpen(!isOpen()));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && isOpen() && narrow.matches) {
      event.preventDefault();
      setOpen(false);
    }
  });
  // Wider again (a rotated tablet): the drawer's state has no meaning there.
  narrow.addEventListener("change", () => setOpen(false, { focus: false }));
  return { close: () => setOpen(false) };
}
