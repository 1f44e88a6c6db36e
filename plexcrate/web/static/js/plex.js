// Links into the Plex web app, and the URLs of plexcrate's art. The server's id comes from the
// status (machine_identifier); the token never does: the web app signs in by itself.

const WEB_APP = "https://app.plex.tv/desktop/";

/** A track, album or artist in the Plex web app, or null before the first sync. */
export function itemLink(machineIdentifier, ratingKey) {
  if (!machineIdentifier) return null;
  const key = encodeURIComponent(`/library/metadata/${ratingKey}`);
  return `${WEB_APP}#!/server/${encodeURIComponent(machineIdentifier)}/details?key=${key}`;
}

/** A playlist in the Plex web app, or null before the first sync. */
export function playlistLink(machineIdentifier, playlistId) {
  if (!machineIdentifier) return null;
  const key = encodeURIComponent(`/playlists/${playlistId}`);
  return `${WEB_APP}#!/server/${encodeURIComponent(machineIdentifier)}/playlist?key=${key}`;
}

/** A track's art is its album's: asking by album lets the browser fetch it once per album. */
export function trackArt(track, size) {
  return `/api/art/${track.album_key ?? track.rating_key}?size=${size}`;
}

export function playlistArt(playlistId, size) {
  return `/api/playlists/${playlistId}/art?size=${size}`;
}

/** An album's or artist's art (the album grid's covers, the pages' pictures). */
export const itemArt = (ratingKey, size) => `/api/art/${ratingKey}?size=${size}`;

// Pictures load a few at a time: the browser has six connections to plexcrate, and a screenful
// of covers that Plex is slow to give must not hold them all while the next page of tracks
// waits. The newest wish goes first (it is what is on screen now).
const MAX_LOADING = 3;
const GIVE_UP = 8000; // ms: a picture still coming then no longer holds its place
const queue = new Map(); // img → url, in the order asked
let loading = 0;

/** Fill an <img> for a picture shown `size` px wide: the sharper one on a high-density screen. */
export function setArt(img, url) {
  if (img.getAttribute("src") === url || queue.get(img) === url) return;
  release(img);
  queue.set(img, url);
  pump();
}

/** Empty an <img>: its picture, asked for or coming, is no longer wanted. */
export function clearArt(img) {
  release(img);
  img.classList.remove("is-loaded");
  img.removeAttribute("srcset");
  img.removeAttribute("src");
}

function release(img) {
  queue.delete(img);
  img.artTicket?.();
}

function pump() {
  while (loading < MAX_LOADING && queue.size) {
    const [img, url] = [...queue].at(-1);
    queue.delete(img);
    start(img, url);
  }
}

function start(img, url) {
  loading += 1;
  let held = true;
  const done = () => {
    img.removeEventListener("load", done);
    img.removeEventListener("error", done);
    clearTimeout(timer);
    if (img.artTicket === done) img.artTicket = null;
    if (!held) return;
    held = false;
    loading -= 1;
    pump();
  };
  const timer = setTimeout(done, GIVE_UP);
  img.artTicket = done;
  img.addEventListener("load", done);
  img.addEventListener("error", done);
  const size = Number(/size=(\d+)$/.exec(url)?.[1]);
  img.srcset = size && size <= 256 ? `${url} 1x, ${url.replace(/\d+$/, String(size * 2))} 2x` : "";
  img.src = url;
}
