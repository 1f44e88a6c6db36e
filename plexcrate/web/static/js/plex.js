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

/** Fill an <img> for a picture shown `size` px wide: the sharper one on a high-density screen. */
export function setArt(img, url) {
  if (img.getAttribute("src") === url) return;
  const size = Number(/size=(\d+)$/.exec(url)?.[1]);
  img.srcset = size && size <= 256 ? `${url} 1x, ${url.replace(/\d+$/, String(size * 2))} 2x` : "";
  img.src = url;
}
