// Browsers and workers: the package's binary assets, fetched from beside this
// module. The URLs are literal so that bundlers find and emit the files.
async function download(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`anomalens: fetching ${url} failed with HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

export const loadWasmBinary = () => download(new URL('./anomalens_wasm.wasm', import.meta.url));
export const loadBackboneWeights = () => download(new URL('./mobilenet_v2_block10.anwb', import.meta.url));
