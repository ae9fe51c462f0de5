// The current model, kept in Cache Storage under a URL of this site, where
// the service worker (sw.js) finds it offline and kiosk mode loads it.
const CACHE = 'anomalens-model';
export const MODEL_URL = new URL('./model/current.anlm', import.meta.url).href;

export async function saveModel(bytes) {
  if (!('caches' in self)) return;
  const cache = await caches.open(CACHE);
  await cache.put(MODEL_URL, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } }));
}

// The saved model's bytes, or null.
export async function loadSavedModel() {
  if (!('caches' in self)) return null;
  const response = await (await caches.open(CACHE)).match(MODEL_URL);
  return response ? new Uint8Array(await response.arrayBuffer()) : null;
}
