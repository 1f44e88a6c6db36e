// The app's HTTP API. Every call resolves to the JSON body, or rejects with an ApiError whose
// message can be shown to a person as it is. Writes always send a JSON body (at least {}).

import { filterParams } from "./vocabulary.js";

const NOT_ANSWERING = "plexcrate is not answering. Is it still running?";
const INTERNAL = "Something went wrong inside plexcrate; its log has the details.";

export class ApiError extends Error {
  constructor(message, status = 0, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status; // 0 when the app could not be reached at all
    this.body = body; // the error's JSON, e.g. a save's `duplicate_of`
  }
}

export const isAbort = (error) => error?.name === "AbortError";

async function request(method, path, { params, body, signal } = {}) {
  const url = params ? `${path}?${params}` : path;
  const init = { method, signal, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (method !== "GET") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(NOT_ANSWERING, 0);
  }
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    if (isAbort(error)) throw error;
  }
  if (!response.ok) throw new ApiError(messageFor(response.status, data), response.status, data);
  return data;
}

function messageFor(status, data) {
  const error = data && typeof data.error === "string" ? data.error.trim() : "";
  if (status >= 500 && (!error || error === "Internal error")) return INTERNAL;
  if (error) return error;
  if (status === 404) return "plexcrate does not know this request; is it up to date?";
  return `The request failed (HTTP ${status}).`;
}

/** The filters' declarations and the sorts (see vocabulary.js). */
export const getFilters = () => request("GET", "/api/filters");

// --- library -------------------------------------------------------------------------------

export const getStatus = (signal) => request("GET", "/api/library/status", { signal });

/** `allowShrink`: publish it even if it removes most of the cached tracks ("Sync anyway"). */
export function startSync({ full = false, allowShrink = false } = {}) {
  const body = {};
  if (full) body.full = true;
  if (allowShrink) body.allow_shrink = true;
  return request("POST", "/api/library/sync", { body });
}

/** The query of a list: the filters, the sort (and a shuffle's seed), the page. */
function listParams(filters, { sort = "default", seed, limit = 100, offset = 0 }) {
  const params = filterParams(filters);
  if (sort !== "default") params.set("sort", sort);
  if (seed != null && sort === "random") params.set("seed", String(seed));
  params.set("limit", String(limit));
  params.set("offset", String(offset));
  return params;
}

/** A page of tracks: `{ total, seed, tracks }`. */
export const getTracks = (filters, options = {}) =>
  request("GET", "/api/tracks", { params: listParams(filters, options), signal: options.signal });

/** A page of the albums with a matching track: `{ total, seed, albums }`. */
export const getAlbums = (filters, options = {}) =>
  request("GET", "/api/albums", { params: listParams(filters, options), signal: options.signal });

/** A page of the artists with a matching track: `{ total, seed, artists }`. */
export const getArtists = (filters, options = {}) =>
  request("GET", "/api/artists", { params: listParams(filters, options), signal: options.signal });

/** What a search finds, best first: `{ artists, albums, tracks }`, `limit` of each. */
export function searchLibrary(q, { limit = 10, signal } = {}) {
  const params = new URLSearchParams({ q, limit: String(limit) });
  return request("GET", "/api/search", { params, signal });
}

/** An album and its tracks in order; an artist and its albums. */
export const getAlbum = (id, { signal } = {}) => request("GET", `/api/albums/${id}`, { signal });
export const getArtist = (id, { signal } = {}) => request("GET", `/api/artists/${id}`, { signal });

/** The counts per value of `facets` (names of /api/library/stats' lists) under `filters`. */
export function getStats(filters, { facets = [], signal } = {}) {
  const params = filterParams(filters);
  for (const facet of facets) params.append("facets", facet);
  return request("GET", "/api/library/stats", { params, signal });
}

/** The values of one kind of tag whose names hold `q`, counted under `filters`. */
export function getFacetValues(kind, q, filters, { limit = 50, signal } = {}) {
  const params = filterParams(filters);
  params.set("q", q);
  params.set("limit", String(limit));
  return request("GET", `/api/library/facets/${encodeURIComponent(kind)}`, { params, signal });
}

// --- playlists -----------------------------------------------------------------------------

export const previewPlaylist = (body, { signal } = {}) =>
  request("POST", "/api/playlists/preview", { body, signal });

export const listPlaylists = () => request("GET", "/api/playlists");

/** What a playlist holds on Plex now: `{ id, rating_keys }`, in order. */
export const getPlaylistItems = (id) => request("GET", `/api/playlists/${id}/items`);

export const savePlaylist = (body) => request("POST", "/api/playlists", { body });

export const renamePlaylist = (id, title) => request("PATCH", `/api/playlists/${id}`, { body: { title } });

export const deletePlaylist = (id) => request("DELETE", `/api/playlists/${id}`);

// --- setup ---------------------------------------------------------------------------------

/** The setup state, or null when this plexcrate has no setup API. */
export async function getSetup() {
  try {
    return await request("GET", "/api/setup");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) return null;
    throw error;
  }
}

export const checkServer = (plexUrl, plexToken) =>
  request("POST", "/api/setup/check", { body: { plex_url: plexUrl, plex_token: plexToken } });

export const startSignIn = () => request("POST", "/api/setup/sign-in");
export const checkSignIn = (pinId) => request("GET", `/api/setup/sign-in/${encodeURIComponent(pinId)}`);
export const saveSignedInServer = (machineIdentifier) =>
  request("POST", "/api/setup", { body: { machine_identifier: machineIdentifier } });

export const saveSetup = (plexUrl, plexToken, musicLibraries) =>
  request("POST", "/api/setup", {
    body: { plex_url: plexUrl, plex_token: plexToken, music_libraries: musicLibraries },
  });

// --- recipes (living playlists) --------------------------------------------------------------

export const listRecipes = ({ signal } = {}) => request("GET", "/api/recipes", { signal });
export const createRecipe = (body) => request("POST", "/api/recipes", { body });
export const editRecipe = (id, body) => request("PATCH", `/api/recipes/${id}`, { body });
export const refreshRecipe = (id) => request("POST", `/api/recipes/${id}/refresh`, { body: {} });
export const recipeHistory = (id, { signal } = {}) => request("GET", `/api/recipes/${id}/history`, { signal });

/** Delete a recipe; `withPlaylist`: its Plex playlist too (else it stays, a plain playlist). */
export function deleteRecipe(id, { withPlaylist = false } = {}) {
  const params = withPlaylist ? new URLSearchParams({ delete_playlist: "true" }) : undefined;
  return request("DELETE", `/api/recipes/${id}`, { params });
}

/** How many tracks a rule matches (a 422 says what is wrong with it); `liveOut`: live
 * recordings left out besides (the list's default), else the rule alone decides. */
export async function countRule(rule, { liveOut = false, signal } = {}) {
  const params = new URLSearchParams({ limit: "1", exclude_live: String(liveOut) });
  if (rule) params.set("rule", JSON.stringify(rule));
  return (await request("GET", "/api/tracks", { params, signal })).total;
}
