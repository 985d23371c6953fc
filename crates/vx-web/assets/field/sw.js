// vungxanh field app: the service worker (docs/field.md). It keeps the app's shell so that
// /field/ opens without a network; the data lives in IndexedDB (app.js), never here, and
// nothing under /api/ is ever cached. The shell is served from the cache first; an online
// opening of the app then fetches the shell again in the background (revalidated: a 304
// when the server names its files by ETag), so a new binary's app is there on the next
// opening. VERSION changes when the list of files does.
const VERSION = 'vx-field-shell-1';
const SHELL = ['/field/', '/field/app.js', '/field/field.css', '/field/manifest.webmanifest', '/field/icon.svg'];

/** The whole shell from the network, stored only if every file came. Each body is read as
 * it comes: bodies left unread hold their connections, and the last files then never come. */
async function refresh() {
  const got = await Promise.all(SHELL.map(async (u) => {
    const r = await fetch(new Request(u, { cache: 'no-cache', credentials: 'same-origin' }));
    if (!r.ok) throw new Error(`${u}: ${r.status}`);
    return new Response(await r.blob(), { status: r.status, statusText: r.statusText, headers: r.headers });
  }));
  const c = await caches.open(VERSION);
  await Promise.all(got.map((r, i) => c.put(SHELL[i], r)));
}

self.addEventListener('install', (e) => {
  e.waitUntil(refresh().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (e) => {
  e.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('vx-field-shell-') && k !== VERSION).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (e) => {
  const req = e.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  let key = null;
  if (req.mode === 'navigate' && (url.pathname === '/field/' || url.pathname === '/field/index.html')) key = '/field/';
  else if (!url.search && SHELL.includes(url.pathname)) key = url.pathname;
  if (!key) return;
  e.respondWith(caches.open(VERSION).then((c) => c.match(key)).then((hit) => {
    if (hit && key === '/field/') e.waitUntil(refresh().catch(() => {}));
    return hit || fetch(req);
  }));
});
