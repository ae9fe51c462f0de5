// Shared setup of the wasm package's suites (wasm_api.test.mjs,
// wasm_package.test.mjs): where the builds are, a synthetic dataset with a
// model trained by the native CLI, and a small PNG encoder.
//
// Paths come from the environment when given (tools/test sets them), else
// from the default build folders:
//   ANOMALENS_WASM_BUILD  the Emscripten build (default build-wasm/)
//   ANOMALENS_CLI         the native CLI (default build/native/anomalens)
// The suites skip when a default path is missing, and fail when a path given
// through the environment is, or under CI=true.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const NPM_DIR = join(REPO, 'npm');
export const WASM_BUILD = process.env.ANOMALENS_WASM_BUILD || join(REPO, 'build-wasm');
export const CLI = process.env.ANOMALENS_CLI || join(REPO, 'build', 'native', 'anomalens');

export const COOKIES = join(REPO, '..', 'shared', 'data', 'lookout-cookies');

// false, or the reason to skip a suite on Lookout's cookie set (../shared);
// under CI=true the set must be there.
export function cookiesSkipReason() {
  if (existsSync(join(COOKIES, 'manifests', 'train.manifest'))) return skipReason();
  if (process.env.CI === 'true') throw new Error(`CI=true but ${COOKIES} is missing`);
  return `${COOKIES} not found`;
}

// false, or the reason to skip; an error instead under CI=true. `cli`: false
// for a suite that needs the wasm build alone.
export function skipReason({ cli = true } = {}) {
  const wasm = join(WASM_BUILD, 'wasm', 'anomalens_wasm.wasm');
  const needed = [[wasm, process.env.ANOMALENS_WASM_BUILD, 'tools/build-wasm']];
  if (cli) needed.push([CLI, process.env.ANOMALENS_CLI, 'tools/build']);
  for (const [file, fromEnv, hint] of needed) {
    if (existsSync(file)) continue;
    if (fromEnv) throw new Error(`${file} is missing (its path was given through the environment)`);
    if (process.env.CI === 'true') throw new Error(`CI=true but ${file} is missing; run ${hint}`);
    return `${file} not built; run ${hint}`;
  }
  return false;
}

// Commands that run the backbone run it on the portable kernels: the wasm
// build runs those, and the two must agree byte for byte (the native default,
// XNNPACK, agrees within tests/xnnpack_backbone_test.cc's tolerances only).
const BACKBONE_COMMANDS = new Set(['train', 'detect', 'evaluate']);

export function runCli(...args) {
  const portable = BACKBONE_COMMANDS.has(args[0]) ? ['--backend', 'portable'] : [];
  const r = spawnSync(CLI, [...args, ...portable], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Copies the built wasm, glue and weights into npm/ (npm's prepack step).
export function stagePackage() {
  const r = spawnSync(process.execPath, [join(NPM_DIR, 'pack.mjs')], {
    encoding: 'utf8', env: { ...process.env, ANOMALENS_WASM_BUILD: WASM_BUILD } });
  assert.equal(r.status, 0, r.stderr);
}

// A synthetic dataset (13 training, 20 test images) and a model the native
// CLI trained on the training manifest alone. Returns paths and entries.
export function makeDataset() {
  const dir = mkdtempSync(join(tmpdir(), 'anomalens-wasm-'));
  const data = join(dir, 'data');
  let r = runCli('synth', '--output', data, '--seed', '5', '--train-normal', '10', '--train-anomaly', '3',
                 '--test-normal', '10', '--test-anomaly', '10');
  assert.equal(r.code, 0, r.stderr);
  const model = join(dir, 'model.anlm');
  r = runCli('train', '--manifest', join(data, 'train.manifest'), '--test-manifest', join(data, 'test.manifest'),
             '--output', model, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const entries = (name) => readFileSync(join(data, name), 'utf8').trim().split('\n').map((line) => {
    const e = JSON.parse(line);
    return { path: join(data, e['source-ref']), label: e['anomaly-label'] === 1 ? 'anomaly' : 'normal',
             mask: e['anomaly-mask-ref'] ? join(data, e['anomaly-mask-ref']) : null,
             colorMap: e['anomaly-mask-ref-metadata']?.['internal-color-map'] ?? null };
  });
  return { dir, data, model, train: entries('train.manifest'), test: entries('test.manifest') };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, body) {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

// RGBA pixels as a PNG (8-bit RGBA, no filtering).
export function encodePngRgba(rgba, width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; ++y) {
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header),
                        chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A deterministic RGBA test pattern, alpha varying (the core ignores it).
export function patternRgba(width, height) {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const i = (y * width + x) * 4;
      rgba[i] = (x * 7 + y * 3) & 0xff;
      rgba[i + 1] = (x * y) & 0xff;
      rgba[i + 2] = ((x - 40) ** 2 + (y - 30) ** 2 < 300) ? 250 : 40;
      rgba[i + 3] = (x + y) & 0xff;
    }
  }
  return rgba;
}
