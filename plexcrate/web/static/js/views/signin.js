// Sign in with Plex, the setup screen's first choice: plex.tv gives a code, the person signs in
// there (a new window), this page asks plexcrate every second whether they have, then lists the
// servers the account reaches; a click on one saves it. Three clicks in all. No token ever
// comes to the page: plexcrate keeps the account's and the server's.

import { checkSignIn, saveSignedInServer, startSignIn } from "../api.js";
import { h, setText, show } from "../dom.js";

const POLL_MS = 1000;

export function createSignIn({ onSaved, onError }) {
  const button = h(
    "button",
    { type: "button", class: "btn btn-primary btn-plex", id: "sign-in-plex", onclick: () => start() },
    "Sign in with Plex",
  );
  const waiting = h("p", { class: "signin-waiting", role: "status", id: "signin-status" });
  const reopen = h("a", { target: "_blank", rel: "noopener noreferrer", hidden: true }, "Open the Plex sign-in page");
  const account = h("p", { class: "form-success", id: "signin-account" });
  const servers = h("ul", { class: "server-list", "aria-labelledby": "signin-account" });
  const root = h(
    "section",
    { class: "signin", "aria-label": "Sign in with Plex" },
    button,
    h("div", { class: "signin-progress" }, waiting, reopen),
    account,
    servers,
  );

  let pinId = null;
  let timer = null;
  let busy = false; // asking plex.tv for a code
  let saving = false; // saving the chosen server

  function reset() {
    clearTimeout(timer);
    timer = null;
    pinId = null;
    busy = false;
    button.removeAttribute("aria-disabled");
    show(button, true);
    setText(waiting, "");
    show(reopen, false);
    setText(account, "");
    servers.replaceChildren();
  }

  async function start() {
    if (busy) return;
    busy = true;
    button.setAttribute("aria-disabled", "true");
    onError(null);
    // Opened now, while the click still counts, so that no popup blocker stops it.
    const popup = window.open("", "plex-sign-in");
    try {
      const started = await startSignIn();
      pinId = started.pin_id;
      reopen.href = started.auth_url;
      show(reopen, true);
      if (popup) {
        popup.opener = null;
        popup.location.href = started.auth_url;
      }
      setText(waiting, "Waiting for you to sign in at plex.tv…");
      poll(started.pin_id);
    } catch (problem) {
      popup?.close();
      busy = false;
      button.removeAttribute("aria-disabled");
      onError(problem.message);
    }
  }

  function poll(id) {
    timer = setTimeout(async () => {
      if (id !== pinId) return;
      try {
        const state = await checkSignIn(id);
        if (id !== pinId) return;
        if (state.status === "waiting") return poll(id);
        if (state.status === "expired") {
          reset();
          onError("The sign-in took too long and expired. Sign in again.");
          return;
        }
        showServers(state);
      } catch (problem) {
        if (id !== pinId) return;
        reset();
        onError(problem.message);
      }
    }, POLL_MS);
  }

  function showServers(state) {
    show(button, false);
    setText(waiting, "");
    show(reopen, false);
    setText(account, `Signed in as ${state.account}. Choose the server to mirror:`);
    if (!state.servers.length) {
      setText(account, `Signed in as ${state.account}, but this account reaches no Plex server.`);
      return;
    }
    servers.replaceChildren(...state.servers.map(serverItem));
    servers.querySelector("button")?.focus();
  }

  function serverItem(server) {
    const relayOnly = server.connections.length > 0 && server.connections.every((c) => c.relay);
    const notes = [server.owned ? "Yours" : `Shared by ${server.owner || "another account"}`];
    if (!server.connections.length) notes.push("no address listed");
    else if (relayOnly) notes.push("only through Plex's relay (slow)");
    const choose = h(
      "button",
      {
        type: "button",
        class: "server-choice",
        onclick: () => chooseServer(server, choose),
        "aria-disabled": server.connections.length ? false : "true",
      },
      h("span", { class: "server-name" }, server.name),
      h("span", { class: "server-note" }, notes.join(" · ")),
    );
    return h("li", {}, choose);
  }

  async function chooseServer(server, control) {
    if (saving || !server.connections.length) return;
    saving = true;
    onError(null);
    control.setAttribute("aria-busy", "true");
    setText(waiting, `Connecting to “${server.name}”…`);
    try {
      await saveSignedInServer(server.machine_identifier);
      reset();
      onSaved();
    } catch (problem) {
      setText(waiting, "");
      onError(problem.message);
    } finally {
      saving = false;
      control.removeAttribute("aria-busy");
    }
  }

  return { root, reset, focus: () => button.focus() };
}
