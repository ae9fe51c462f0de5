// `anomalens synth-defects` as a person and a script use it: the examples,
// masks and index it writes (only mask pixels differ from the input; the
// index agrees with the files), the same bytes for the same seed, and clear
// errors with exit code 2 for bad usage. The generator's own properties are
// in tests/synthetic_defect_test.cc; its wasm twin in wasm_selfcheck.test.mjs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { inflateSync } from 'node:zlib';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = process.env.ANOMALENS_CLI || join(repo, 'build', 'native', 'anomalens');
const skip = existsSync(cli) ? false : `anomalens CLI not built at ${cli}; run tools/build`;
const IMAGES = join(repo, 'tests', 'golden', 'parity', 'test-images');
const A = join(IMAGES, 'normal-11.png');
const B = join(IMAGES, 'normal-12.png');

function run(...args) {
  const r = spawnSync(cli, ['synth-defects', ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The pixels of a non-interlaced 8-bit PNG (grey, RGB or RGBA; filters undone).
function decodePng(bytes) {
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat = [];
  while (pos < bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth');
      assert.equal(data[12], 0, 'interlace');
      channels = { 0: 1, 2: 3, 6: 4 }[data[9]];
    }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; ++y) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; ++x) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? out[y * stride + x - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      out[y * stride + x] = (v + predictor) & 255;
    }
  }
  return { width, height, channels, pixels: out };
}

function readIndex(dir) {
  const [header, ...lines] = readFileSync(join(dir, 'index.csv'), 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

let dir;
before(() => {
  if (!skip) dir = mkdtempSync(join(tmpdir(), 'anomalens-synth-defects-'));
});
after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('writes each example, its exact mask and an index that agrees with them', { skip }, () => {
  const out = join(dir, 'all');
  const r = run(A, B, '--output', out, '--seed', '3', '--count', '6');
  assert.equal(r.code, 0, r.stderr);
  const rows = readIndex(out);
  assert.equal(rows.length, 12);
  assert.deepEqual(new Set(rows.map((row) => row.family)),
                   new Set(['spot', 'scratch', 'cutpaste', 'texture', 'local-change', 'missing-piece', 'foreign-material']));
  assert.equal(readdirSync(out).length, 12 * 2 + 1);
  for (const row of rows) {
    const input = decodePng(readFileSync(row.source));
    const image = decodePng(readFileSync(join(out, row.image)));
    const mask = decodePng(readFileSync(join(out, row.mask)));
    assert.equal(image.channels, 3);
    assert.equal(mask.channels, 1);
    let owned = 0, changed = 0, x0 = Infinity, y0 = Infinity, x1 = -1, y1 = -1;
    for (let i = 0; i < mask.pixels.length; ++i) {
      const differs = [0, 1, 2].some((c) => image.pixels[i * 3 + c] !== input.pixels[i * 3 + c]);
      if (mask.pixels[i] === 0) {
        assert.ok(!differs, `${row.image}: pixel ${i} changed outside the mask`);
        continue;
      }
      assert.equal(mask.pixels[i], 255);
      ++owned;
      if (differs) ++changed;
      const x = i % mask.width, y = Math.floor(i / mask.width);
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
    }
    assert.equal(owned, Number(row.mask_pixels), row.image);
    assert.equal(changed, Number(row.changed_pixels), row.image);
    assert.deepEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1],
                     [row.box_x, row.box_y, row.box_width, row.box_height].map(Number), row.image);
    const asked = Number(row.area_pixels) > 0 ? Number(row.area_pixels)
      : Math.max(1, Math.round(Number(row.area_fraction) * mask.width * mask.height));
    assert.equal(owned, asked, row.image);
    assert.equal(row.donor !== '', row.family === 'texture', row.image);
  }
  // The same seed writes the same bytes; another seed, other defects.
  const again = join(dir, 'again');
  assert.equal(run(A, B, '--output', again, '--seed', '3', '--count', '6').code, 0);
  for (const name of readdirSync(out)) assert.ok(readFileSync(join(out, name)).equals(readFileSync(join(again, name))), name);
  const other = join(dir, 'other');
  assert.equal(run(A, B, '--output', other, '--seed', '4', '--count', '6').code, 0);
  assert.notDeepEqual(readIndex(other).map((row) => row.seed), rows.map((row) => row.seed));
});

test('--few-pixel adds the self-check\'s few-pixel defects after the others, which stay as they were', { skip }, () => {
  // The self-check's own plans: seed 0x5E1FC4EC, 42 defects and 14 few-pixel ones.
  const out = join(dir, 'few');
  const r = run(A, B, '--output', out, '--seed', '1579140332', '--count', '21', '--few-pixel', '7');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /wrote 56 defects in 2 images/);
  const rows = readIndex(out);
  assert.equal(rows.length, 56);
  const few = rows.filter((row) => Number(row.area_pixels) > 0);
  assert.deepEqual(rows.map((row) => Number(row.area_pixels) > 0),
                   [...Array(56)].map((_, k) => k % 28 >= 21));  // each image: 21, then 7 few-pixel
  assert.ok(few.every((row) => Number(row.area_pixels) >= 7 && Number(row.area_pixels) <= 50));
  assert.ok(few.every((row) => Number(row.mask_pixels) === Number(row.area_pixels)), 'owned = asked');
  assert.ok(few.every((row) => ['1', '0.6'].includes(row.contrast)));
  assert.ok(few.every((row) => Number(row.changed_pixels) > 0));
  assert.equal(new Set(few.map((row) => row.family)).size, 7);
  assert.deepEqual(few.map((row) => row.image.match(/-(\d\d)-[a-z-]+\.png$/)[1]).slice(0, 7),
                   ['22', '23', '24', '25', '26', '27', '28']);
  // Without --few-pixel: the same first 21 of each image, byte for byte.
  const plain = join(dir, 'few-plain');
  assert.equal(run(A, B, '--output', plain, '--seed', '1579140332', '--count', '21').code, 0);
  const plainRows = readIndex(plain);
  assert.deepEqual(plainRows, rows.filter((row) => Number(row.area_pixels) === 0));
  for (const name of readdirSync(plain)) {
    if (name !== 'index.csv') assert.ok(readFileSync(join(out, name)).equals(readFileSync(join(plain, name))), name);
  }
});

test('--family picks one family; one image leaves texture out of all', { skip }, () => {
  const out = join(dir, 'scratches');
  assert.equal(run(A, '--output', out, '--family', 'scratch', '--count', '3').code, 0);
  assert.deepEqual(readIndex(out).map((row) => row.family), ['scratch', 'scratch', 'scratch']);
  const single = join(dir, 'single');
  const r = run(A, '--output', single, '--count', '10');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no texture defects/);
  assert.ok(readIndex(single).every((row) => row.family !== 'texture'));
});

test('--help, and bad usage exits 2 with a message naming the problem', { skip }, () => {
  const help = run('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage:\n  anomalens synth-defects IMAGE\.\.\. --output DIR/);
  const out = join(dir, 'bad');
  const cases = [
    [[A], /--output DIR is required/],
    [['--output', out], /give at least one IMAGE/],
    [[join(dir, 'missing.png'), '--output', out], /missing\.png/],
    [[A, '--output', out, '--family', 'smudge'],
     /unknown defect family 'smudge'; the families are spot, scratch, cutpaste, texture, local-change, missing-piece, foreign-material, or all/],
    [[A, '--output', out, '--family', 'texture'], /texture needs two images/],
    [[A, '--output', out, '--count', '0'], /--count must be a whole number from 1 to 1000, got '0'/],
    [[A, '--output', out, '--count', '2.5'], /--count must be a whole number from 1 to 1000, got '2.5'/],
    [[A, '--output', out, '--seed', '-1'], /--seed must be a whole number from 0 to 2\^53 - 1, got '-1'/],
    [[A, '--output', out, '--few-pixel', '1001'], /--few-pixel must be a whole number from 0 to 1000, got '1001'/],
    [[A, '--output', out, '--colour'], /unknown option --colour/],
  ];
  writeFileSync(join(dir, 'not-an-image.png'), 'hello');
  cases.push([[join(dir, 'not-an-image.png'), '--output', out], /not-an-image\.png/]);
  for (const [args, message] of cases) {
    const r = run(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
  }
  assert.equal(existsSync(join(out, 'index.csv')), false);
});
