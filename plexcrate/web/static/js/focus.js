// Modal dialogs: everything else on the page becomes inert (unreachable by keyboard, mouse and
// screen readers), Tab cycles inside the dialog, focus returns where it was when it closes.

const FOCUSABLE = [
  "a[href]",
  "button:not([disabled])",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(",");

export function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)].filter(
    (el) => !el.closest("[hidden], [inert]") && el.getClientRects().length > 0,
  );
}

/**
 * Open `backdrop` (a direct child of <body>) as a modal; `dialog` inside it has role="dialog".
 * Returns a function that closes it. `onEscape` is called on Escape (omit it for a dialog that
 * must stay open); `initialFocus` is the element to focus first (default: the dialog itself).
 */
export function openModal(backdrop, dialog, { onEscape, initialFocus } = {}) {
  const previous = document.activeElement;
  const madeInert = [...document.body.children].filter(
    (el) => el !== backdrop && !el.inert && !el.hasAttribute("data-keep-live") && el.tagName !== "SCRIPT",
  );
  for (const el of madeInert) el.inert = true;
  backdrop.hidden = false;
  document.body.classList.add("has-modal");

  const onKeydown = (event) => {
    if (event.key === "Escape" && onEscape) {
      event.preventDefault();
      onEscape();
    } else if (event.key === "Tab") {
      wrapTab(event, dialog);
    }
  };
  dialog.addEventListener("keydown", onKeydown);
  (initialFocus || dialog).focus({ preventScroll: true });

  return function close() {
    dialog.removeEventListener("keydown", onKeydown);
    backdrop.hidden = true;
    for (const el of madeInert) el.inert = false;
    if (!document.querySelector(".backdrop:not([hidden])")) document.body.classList.remove("has-modal");
    if (previous && previous.isConnected && typeof previous.focus === "function") {
      previous.focus({ preventScroll: true });
    }
  };
}

function wrapTab(event, dialog) {
  const items = focusables(dialog);
  if (items.length === 0) {
    event.preventDefault();
    dialog.focus();
    return;
  }
  const first = items[0];
  const last = items[items.length - 1];
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === dialog)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && active === last) {
    event.preventDefault();
    first.focus();
  }
}

/** Focus `el` after something loaded, unless the user has meanwhile started typing in a field
 * (the search box, say): moving the focus then would close what they are doing. */
export function focusUnlessTyping(el) {
  const active = document.activeElement;
  if (active && active !== el && active.matches("input, textarea, select, [contenteditable]")) return;
  el?.focus({ preventScroll: true });
}
