// Backbone parity: the core's MobileNetV2 (C++, folded BatchNorm, our kernels) against
// TensorFlow.js running the original Keras graph on the same input.
//
// tests/js/tfjs_reference.mjs writes a reference file per input size; the C++
// tests/backbone_probe.cc runs the core on that file's input and compares both taps
// (block_5_add, block_10_project_BN); it exits 0 within tolerance, 1 on a mismatch,
// 2 on bad input.
//
// CTest (`backbone_parity_tfjs`) passes the built paths through the environment:
//   ANOMALENS_BACKBONE_PROBE  the backbone_probe executable
//   ANOMALENS_BACKBONE_FILE   the converted weights (.anwb)
// Without them (e.g. `node --test tests/js/`) the test falls back to the default
// build directory, build/tests/backbone_probe and build/mobilenet_v2_block10.anwb,
// and skips with a message only when those are missing too. A path given through
// the environment must exist: then a missing file is a failure, not a skip.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REFERENCE_SCRIPT = path.join(REPO, 'tests', 'js', 'tfjs_reference.mjs');

// 64x96: small, with unequal sides; 224x304: the cookie working size. tfjs's CPU
// backend takes about 1.5 s and 2.5 s for them (process start and model load
// included), the probe well under 0.1 s.
const SIZES = [
  { height: 64, width: 96, seed: 7 },
  { height: 224, width: 304, seed: 20240 },
];

function resolvePaths() {
  const fromEnv = process.env.ANOMALENS_BACKBONE_PROBE !== undefined ||
                  process.env.ANOMALENS_BACKBONE_FILE !== undefined;
  const probe = process.env.ANOMALENS_BACKBONE_PROBE || path.join(REPO, 'build', 'tests', 'backbone_probe');
  const weights = process.env.ANOMALENS_BACKBONE_FILE || path.join(REPO, 'build', 'mobilenet_v2_block10.anwb');
  const missing = [probe, weights].filter((p) => !fs.existsSync(p));
  return { probe, weights, fromEnv, missing };
}

const paths = resolvePaths();
const skip = !paths.fromEnv && paths.missing.length > 0
  ? `backbone_probe or the weights are not built (missing ${paths.missing.join(', ')}); ` +
    'run `cmake -S . -B build && cmake --build build` or set ANOMALENS_BACKBONE_PROBE and ANOMALENS_BACKBONE_FILE'
  : false;

let tempDir = null;
function temp() {
  tempDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'backbone-parity-'));
  return tempDir;
}
after(() => { if (tempDir) fs.rmSync(tempDir, { recursive: true, force: true }); });

function writeReference({ height, width, seed }) {
  const output = path.join(temp(), `reference_${height}x${width}_${seed}.anrf`);
  const run = spawnSync(process.execPath, [REFERENCE_SCRIPT, '--output', output, '--height', String(height),
                                           '--width', String(width), '--seed', String(seed)],
                        { cwd: REPO, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `tfjs_reference.mjs failed (status ${run.status}, signal ${run.signal}):\n` +
                              `${run.stdout}${run.stderr}`);
  return output;
}

function runProbe(reference) {
  const run = spawnSync(paths.probe, [paths.weights, reference], { encoding: 'utf8', timeout: 60_000 });
  const lines = run.stdout.trim().split('\n').filter(Boolean);
  let summary = null;
  if (lines.length) {
    try { summary = JSON.parse(lines.at(-1)); } catch { summary = null; }
  }
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr, summary };
}

function describeRun(run) {
  return `backbone_probe exited ${run.status} (signal ${run.signal}):\n${run.stderr}${run.stdout}`;
}

describe('backbone parity with TensorFlow.js', { skip }, () => {
  test('the build paths from the environment exist', () => {
    assert.deepEqual(paths.missing, [], `missing: ${paths.missing.join(', ')}`);
  });

  const references = new Map();
  for (const size of SIZES) {
    test(`${size.height}x${size.width} (seed ${size.seed}): both taps match within tolerance`, (t) => {
      const reference = writeReference(size);
      references.set(`${size.height}x${size.width}`, reference);
      const run = runProbe(reference);
      for (const line of run.stderr.trim().split('\n')) t.diagnostic(line);
      assert.equal(run.status, 0, describeRun(run));
      assert.ok(run.summary, `no JSON summary on stdout:\n${run.stdout}`);
      assert.equal(run.summary.pass, true);
      assert.equal(run.summary.input, `${size.height}x${size.width}x3`);
      assert.equal(run.summary.block_5_add.shape, `${size.height / 8}x${size.width / 8}x32`);
      assert.equal(run.summary.block_10_project_BN.shape, `${size.height / 16}x${size.width / 16}x96`);
    });
  }

  // Negative controls on the smallest reference: the probe must notice a tap off by
  // ten times its tolerance, and refuse damaged files instead of passing them.
  test('the probe fails a perturbed reference and rejects damaged files', (t) => {
    const { height, width } = SIZES[0];
    const reference = references.get(`${height}x${width}`) ?? writeReference(SIZES[0]);
    const bytes = fs.readFileSync(reference);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

    // The last float is in block_10_project_BN; push it by 1e-3 of that tap's scale.
    const baseline = runProbe(reference).summary;
    const scale = baseline.block_10_project_BN.max_abs_ref;
    const perturbed = Buffer.from(bytes);
    const last = perturbed.length - 4;
    const pview = new DataView(perturbed.buffer, perturbed.byteOffset, perturbed.byteLength);
    pview.setFloat32(last, view.getFloat32(last, true) + 1e-3 * scale, true);
    const perturbedPath = path.join(temp(), 'perturbed.anrf');
    fs.writeFileSync(perturbedPath, perturbed);
    const mismatch = runProbe(perturbedPath);
    assert.equal(mismatch.status, 1, describeRun(mismatch));
    assert.equal(mismatch.summary.pass, false);
    assert.equal(mismatch.summary.block_5_add.pass, true);
    assert.equal(mismatch.summary.block_10_project_BN.pass, false);

    const damaged = {
      truncated: bytes.subarray(0, bytes.length - 1),
      'trailing byte': Buffer.concat([bytes, Buffer.from([0])]),
      'bad magic': Buffer.concat([Buffer.from('XNRF'), bytes.subarray(4)]),
      empty: Buffer.alloc(0),
    };
    for (const [name, content] of Object.entries(damaged)) {
      const file = path.join(temp(), `damaged_${name.replace(/\s/g, '_')}.anrf`);
      fs.writeFileSync(file, content);
      const run = runProbe(file);
      assert.equal(run.status, 2, `${name}: ${describeRun(run)}`);
    }
    const noFile = runProbe(path.join(temp(), 'does-not-exist.anrf'));
    assert.equal(noFile.status, 2, describeRun(noFile));
    t.diagnostic(`perturbed tap rejected: ${mismatch.stderr.trim().split('\n').at(-1)}`);
  });
});
