// The layers hold: every include in core/, native/ and wasm/ points to a part
// its folder's README allows, no two parts include each other, the core
// includes no platform header, and docs/architecture.dot (the picture's
// source) shows the graph as it is. A planted upward include in a copy of a
// small tree shows the check can fail.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers, toDot } from '../../tools/layers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('every include points down the layers, and no parts form a cycle', () => {
  const { problems, parts } = checkLayers(root);
  assert.ok(parts.includes('core/base') && parts.includes('native/server'), `parts found: ${parts.join(', ')}`);
  assert.deepEqual(problems, []);
});

test('docs/architecture.dot is the graph of today\'s includes (tools/draw-architecture redraws it)', () => {
  const dot = fs.readFileSync(path.join(root, 'docs/architecture.dot'), 'utf8');
  assert.equal(dot, toDot(checkLayers(root)), 'run tools/draw-architecture and commit docs/architecture.{dot,png}');
});

// A tree of three parts: core/base (nothing), core/image (base), native/cli (core).
function smallTree() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anomalens-layers-'));
  const write = (rel, text) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  };
  write('core/base/README.md', '# base\n\nMay include: (nothing outside base/)\n');
  write('core/base/status.h', '#include <string>\n');
  write('core/image/README.md', '# image\n\nMay include: core/base\n');
  write('core/image/image.h', '#include "core/base/status.h"\n#include <vector>\n');
  write('native/cli/README.md', '# cli\n\nMay include: core, native/cli\n');
  write('native/cli/main.cc', '#include "core/image/image.h"\n#include <fstream>\n');
  return dir;
}

test('the small tree passes as it is', () => {
  const dir = smallTree();
  try {
    assert.deepEqual(checkLayers(dir).problems, []);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('a planted upward include, a cycle, a platform header and a missing README line each fail by name', () => {
  const dir = smallTree();
  try {
    fs.appendFileSync(path.join(dir, 'core/base/status.h'), '#include "core/image/image.h"\n');
    fs.appendFileSync(path.join(dir, 'core/image/image.h'), '#include "native/cli/flags.h"\n#include <thread>\n');
    fs.writeFileSync(path.join(dir, 'native/cli/README.md'), '# cli\n');
    const { problems } = checkLayers(dir);
    const has = (re) => assert.ok(problems.some((p) => re.test(p)), `expected ${re} in:\n${problems.join('\n')}`);
    has(/^core\/base\/status\.h:2: core\/base may not include core\/image\/image\.h/);
    has(/^core\/image\/image\.h:3: core\/image may not include native\/cli\/flags\.h/);
    has(/^core\/image\/image\.h:4: the portable core may not include <thread>/);
    has(/^cycle between parts: core\/(base|image) -> core\/(image|base) -> core\/(base|image)$/);
    has(/^native\/cli: no "May include:" line/);
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});
