// The service worker: after the first load the page, its scripts, the wasm,
// the backbone weights and the saved model (model-store.mjs) all come from
// Cache Storage, so the page and kiosk mode work offline.
// tools/build-web fills in VERSION (a hash of the site) and PRECACHE (its
// files): a new build is a new service worker, which replaces the old cache.
const VERSION = 'dev';
const PRECACHE = [];
const SITE_CACHE = `anomalens-site-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SITE_CACHE);
    await cache.addAll(PRECACHE.map((path) => new Request(path, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('anomalens-site-') && name !== SITE_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

// Cache first (the site is versioned as a whole), then the network. The
// query string is ignored: ?kiosk=1 is the same page.
self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cached = await caches.match(request, { ignoreSearch: true });
    return cached ?? fetch(request);
  })());
});
