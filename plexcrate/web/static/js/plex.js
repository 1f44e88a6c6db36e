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
// waits. Each picture is fetched by an image of its own, off the page; a slot is free again
// only when that fetch has ended (a picture no longer wanted still holds its slot until then,
// as its request goes on), and the picture is then shown from the browser's memory. The newest
// wish goes first: it is what is on screen now.
const MAX_LOADING = 3;
const GIVE_UP = 30_000; // ms: a fetch that never ends (no load, no error) gives its slot back
const queue = new Map(); // img → url, waiting for a slot, in the order asked
const coming = new Map(); // img → url, being fetched for it
const loaders = new Set(); // the off-page images fetching (held, so none is collected mid-way)
let loading = 0;

const srcsetOf = (url) => {
  const size = Number(/size=(\d+)$/.exec(url)?.[1]);
  return size && size <= 256 ? `${url} 1x, ${url.replace(/\d+$/, String(size * 2))} 2x` : "";
};

/** Fill an <img> for a picture shown `size` px wide: the sharper one on a high-density screen. */
export function setArt(img, url) {
  if (img.getAttribute("src") === url || coming.get(img) === url) return;
  coming.delete(img);
  queue.delete(img);
  queue.set(img, url);
  pump();
}

/** Empty an <img>: its picture, asked for or coming, is no longer wanted. */
export function clearArt(img) {
  queue.delete(img);
  coming.delete(img);
  img.classList.remove("is-loaded");
  img.removeAttribute("srcset");
  img.removeAttribute("src");
}

function pump() {
  while (loading < MAX_LOADING && queue.size) {
    const [img, url] = [...queue].at(-1);
    queue.delete(img);
    fetchFor(img, url);
  }
}

function fetchFor(img, url) {
  loading += 1;
  coming.set(img, url);
  const loader = new Image();
  loaders.add(loader);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    loaders.delete(loader);
    loading -= 1;
    if (coming.get(img) === url) {
      coming.delete(img);
      img.srcset = srcsetOf(url);
      img.src = url; // from the memory the loader filled
    }
    pump();
  };
  const timer = setTimeout(end, GIVE_UP);
  loader.addEventListener("load", end);
  loader.addEventListener("error", end);
  loader.srcset = srcsetOf(url);
  loader.src = url;
}
