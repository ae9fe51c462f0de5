// Node: the package's binary assets, read from beside this file.
import { readFile } from 'node:fs/promises';

const read = async (url) => new Uint8Array(await readFile(url));

export const loadWasmBinary = () => read(new URL('./anomalens_wasm.wasm', import.meta.url));
export const loadBackboneWeights = () => read(new URL('./mobilenet_v2_block10.anwb', import.meta.url));
