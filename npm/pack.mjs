// npm's prepack step: copies the WebAssembly build's outputs and the
// converted backbone weights into this folder (they are never committed),
// with nsfwjs's license for the weights, and the CommonJS entry's types. Fails when the build is missing.
//   ANOMALENS_WASM_BUILD  the Emscripten build folder (default ../build-wasm)
import { copyFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..');
const build = resolve(process.env.ANOMALENS_WASM_BUILD || join(repo, 'build-wasm'));
const files = [
  [join(build, 'wasm', 'anomalens_wasm.mjs'), 'anomalens_wasm.mjs'],
  [join(build, 'wasm', 'anomalens_wasm.wasm'), 'anomalens_wasm.wasm'],
  [join(build, 'mobilenet_v2_block10.anwb'), 'mobilenet_v2_block10.anwb'],
  [join(repo, 'node_modules', 'nsfwjs', 'LICENSE'), 'LICENSE-nsfwjs'],
  // The CommonJS entry's declarations: the same types under a .d.cts name.
  [join(here, 'index.d.ts'), 'index.d.cts'],
];
const missing = files.filter(([from]) => !existsSync(from)).map(([from]) => from);
if (missing.length > 0) {
  console.error(`pack: missing ${missing.join(', ')}; run tools/build-wasm (and tools/setup) first`);
  process.exit(1);
}
// Unchanged files are left alone, changed ones replaced atomically: test
// suites running side by side may be reading them.
for (const [from, to] of files) {
  const target = join(here, to);
  if (existsSync(target) && readFileSync(target).equals(readFileSync(from))) continue;
  copyFileSync(from, `${target}.tmp-${process.pid}`);
  renameSync(`${target}.tmp-${process.pid}`, target);
}
