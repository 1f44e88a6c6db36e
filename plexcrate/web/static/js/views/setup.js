// The setup screen: the Plex server's address and token, checked against the server, then which
// of its music libraries to mirror. The token goes to plexcrate once, when saved, and never
// comes back (GET /api/setup does not return it).

import { checkServer, saveSetup } from "../api.js";
import { h, setText, show } from "../dom.js";
import { createSignIn } from "./signin.js";

const TOKEN_HELP = "https://support.plex.tv/articles/204059436-finding-an-authentication-token-x-plex-token/";

export function createSetup(root, { onSaved, onCancel }) {
  const urlInput = h("input", {
    type: "url",
    id: "plex-url",
    class: "input",
    inputmode: "url",
    autocomplete: "url",
    spellcheck: "false",
    placeholder: "http://192.168.1.10:32400",
    required: true,
    "aria-describedby": "plex-url-hint",
  });
  const tokenInput = h("input", {
    type: "password",
    id: "plex-token",
    class: "input",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "plex-token-hint",
  });
  const reveal = h(
    "button",
    {
      type: "button",
      class: "btn btn-small btn-quiet",
      "aria-pressed": "false",
      "aria-controls": "plex-token",
      onclick: () => {
        const visible = tokenInput.type === "password";
        tokenInput.type = visible ? "text" : "password";
        reveal.setAttribute("aria-pressed", String(visible));
        setText(reveal, visible ? "Hide" : "Show");
      },
    },
    "Show",
  );
  const connected = h("p", { class: "form-success", role: "status", id: "setup-connected" });
  const libraries = h("div", { class: "checkbox-list" });
  const librariesGroup = h(
    "fieldset",
    { class: "field-group", hidden: true },
    h("legend", {}, "Music libraries to mirror"),
    libraries,
  );
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, "Check connection");
  const cancel = h(
    "button",
    { type: "button", class: "btn btn-quiet", hidden: true, onclick: () => onCancel() },
    "Cancel",
  );
  const error = h("p", { class: "form-error", role: "alert", hidden: true, id: "setup-error" });
  const intro = h(
    "p",
    { class: "muted" },
    "plexcrate keeps a copy of your music library's details (titles, artists, genres, ratings), " +
      "so filtering and building playlists is instant. Sign in with Plex to pick your server.",
  );
  const heading = h("h1", { id: "setup-title" }, "Connect to your Plex server");
  const signedInAs = h("p", { class: "muted", id: "setup-account", hidden: true });
  const signIn = createSignIn({
    onSaved: () => onSaved(),
    onError: (message) => (message ? fail(message) : show(error, false)),
  });
  const divider = h("p", { class: "setup-divider" }, h("span", {}, "or enter the address and a token"));
  const form = h(
    "form",
    {
      class: "setup-form",
      novalidate: true,
      "aria-labelledby": "setup-title",
      onsubmit: (e) => (e.preventDefault(), onSubmit()),
    },
    h(
      "div",
      { class: "field" },
      h("label", { for: "plex-url" }, "Plex server address"),
      urlInput,
      h("p", { class: "hint", id: "plex-url-hint" }, "Usually port 32400 of the computer or NAS that runs Plex."),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "plex-token" }, "Plex token"),
      h("div", { class: "input-with-button" }, tokenInput, reveal),
      h(
        "p",
        { class: "hint", id: "plex-token-hint" },
        h("a", { href: TOKEN_HELP, target: "_blank", rel: "noopener noreferrer" }, "How to find your token"),
        ". It stays on this server and is never shown again.",
      ),
    ),
    connected,
    librariesGroup,
    error,
    h("div", { class: "form-actions" }, submit, cancel),
  );
  root.append(h("div", { class: "setup-card" }, heading, intro, signedInAs, signIn.root, divider, form));

  let checked = null; // the server that answered, for the address and token now in the form
  let busy = false;

  for (const input of [urlInput, tokenInput]) {
    input.addEventListener("input", () => {
      input.removeAttribute("aria-invalid");
      if (checked) forgetCheck();
    });
  }

  function forgetCheck() {
    checked = null;
    setText(connected, "");
    show(librariesGroup, false);
    setText(submit, "Check connection");
  }

  function fail(message, field) {
    setText(error, message);
    show(error, true);
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
  }

  async function onSubmit() {
    if (busy) return;
    show(error, false);
    const url = urlInput.value.trim();
    const token = tokenInput.value.trim();
    if (!url) return fail("Enter the address of your Plex server.", urlInput);
    if (!/^https?:\/\//i.test(url)) {
      return fail("The address starts with http:// or https://, like http://192.168.1.10:32400.", urlInput);
    }
    if (!token) return fail("Enter your Plex token.", tokenInput);
    busy = true;
    submit.setAttribute("aria-disabled", "true");
    const label = submit.textContent;
    setText(submit, checked ? "Saving…" : "Checking…");
    try {
      if (!checked) {
        const server = await checkServer(url, token);
        checked = server;
        showLibraries(server);
      } else {
        const chosen = [...libraries.querySelectorAll("input:checked")].map((box) => box.value);
        if (!chosen.length) {
          fail("Pick at least one music library.");
          return;
        }
        const all = checked.libraries.length === chosen.length;
        await saveSetup(url, token, all ? [] : chosen);
        tokenInput.value = "";
        forgetCheck();
        onSaved();
      }
    } catch (problem) {
      fail(problem.message);
      offer(problem.body?.suggested_url);
    } finally {
      busy = false;
      submit.removeAttribute("aria-disabled");
      if (submit.textContent === "Checking…" || submit.textContent === "Saving…") {
        setText(submit, checked ? "Save and sync" : label);
      }
    }
  }

  // A secure address that works where the one entered failed (Plex's plex.direct name).
  function offer(url) {
    if (!url) return;
    error.append(
      " ",
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          onclick: () => {
            urlInput.value = url;
            show(error, false);
            onSubmit();
          },
        },
        "Use this address",
      ),
    );
  }

  function showLibraries(server) {
    setText(connected, `Connected to “${server.server_name}”.`);
    libraries.replaceChildren(
      ...server.libraries.map((library, i) =>
        h(
          "div",
          { class: "choice-row" },
          h("input", { type: "checkbox", id: `library-${i}`, value: library.title, checked: true }),
          h("label", { for: `library-${i}` }, library.title),
        ),
      ),
    );
    show(librariesGroup, server.libraries.length > 0);
    if (!server.libraries.length) {
      checked = null;
      fail("This Plex server has no music library. Add one in Plex, or connect to another server.");
      return;
    }
    setText(submit, "Save and sync");
    libraries.querySelector("input")?.focus();
  }

  return {
    /**
   * Fill the form for `setup` (GET /api/setup): `changing` when a server is already set up,
   * `canBrowse` when none is but the cache still holds a library worth looking at.
   */
    prepare(setup, { changing = false, canBrowse = false } = {}) {
      urlInput.value = setup?.plex_url || urlInput.value;
      tokenInput.value = "";
      forgetCheck();
      show(error, false);
      show(cancel, changing || canBrowse);
      setText(cancel, changing ? "Cancel" : "Browse the cached library");
      setText(heading, changing ? "Change the Plex server" : "Connect to your Plex server");
      setText(signedInAs, setup?.account ? `Signed in to Plex as ${setup.account}.` : "");
      show(signedInAs, Boolean(changing && setup?.account));
      signIn.reset();
    },
    focus() {
      if (urlInput.value) tokenInput.focus();
      else signIn.focus();
    },
  };
}
