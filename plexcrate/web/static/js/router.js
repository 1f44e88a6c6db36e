// The page's places and their addresses: the lists (tracks at "/", "/albums", "/artists") and
// one album's or artist's page ("/albums/123", "/artists/45"), and the living playlists
// ("/recipes"). The filters and the sort ride
// along in the query string, so a link, a reload or the back button keeps both. The server
// serves the page at each of these paths (web/app.py's PAGE_PATHS).

export const LISTS = ["tracks", "albums", "artists"];
export const RECIPES = "recipes"; // the living playlists: a place of its own, not a list
const PAGES = { albums: "album", artists: "artist" }; // a list's path → its item's page

/** The place an address's path names; an unknown path is the track list. */
export function viewFromPath(pathname) {
  const parts = pathname.split("/").filter(Boolean);
  if (parts.length === 1 && (LISTS.includes(parts[0]) || parts[0] === RECIPES)) return { name: parts[0] };
  if (parts.length === 2 && PAGES[parts[0]] && /^[1-9]\d{0,15}$/.test(parts[1])) {
    return { name: PAGES[parts[0]], id: Number(parts[1]) };
  }
  return { name: "tracks" };
}

export function pathOfView(view) {
  switch (view.name) {
    case "album":
      return `/albums/${view.id}`;
    case "artist":
      return `/artists/${view.id}`;
    case "albums":
    case "artists":
    case RECIPES:
      return `/${view.name}`;
    default:
      return "/";
  }
}

export const isList = (view) => LISTS.includes(view.name);

export function sameView(a, b) {
  return a.name === b.name && (a.id ?? null) === (b.id ?? null);
}

/**
 * Follow clicks on the page's own links (`<a data-route>`) without loading the page again:
 * `go(view)` shows it. A click with a modifier key, or not with the main button, is left to
 * the browser (a new tab gets the same place from the address).
 */
export function followLinks(root, go) {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest?.("a[data-route]");
    if (!link || link.target) return;
    event.preventDefault();
    go(viewFromPath(new URL(link.href).pathname));
  });
}
