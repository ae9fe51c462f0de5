// The peer @tensorflow/tfjs-backend-wasm (XNNPACK + SIMD) in Node, on one
// thread: tfjs is told there is no multithreading, so it loads its plain SIMD
// binary from the npm package, and its thread count is set to 1. Checks that
// the SIMD binary is the one loaded. Shared by bench/wasm_vs_tfjs.mjs and
// bench/backbone_peers.mjs.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** Initialises tfjs's wasm backend; returns what it runs on. */
export async function setUpTfjsWasm() {
  const wasmDir = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm')), '/');
  const binaries = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  // The file map records which binary the backend asks for.
  // setWasmPaths itself reads the map, so recording starts after it.
  const requested = new Set();
  let recording = false;
  setWasmPaths(new Proxy(Object.fromEntries(binaries.map((name) => [name, join(wasmDir, name)])), {
    get(target, key) {
      if (recording && typeof key === 'string' && key in target) requested.add(key);
      return target[key];
    },
  }));
  recording = true;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);  // no pthreads: the non-threaded binary
  setThreadsCount(1);
  tf.enableProdMode();
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const loaded = [...requested];
  if (!simd || loaded.length !== 1 || loaded[0] !== 'tfjs-backend-wasm-simd.wasm') {
    throw new Error(`tfjs-backend-wasm loaded ${loaded.join(', ') || 'nothing'} (SIMD ${simd}); expected the SIMD binary`);
  }
  return { version: tf.version_core, binary: loaded[0], simd, threads: getThreadsCount() };
}
