// Packaging check: `npm pack` the anomalens package, install the tarball into
// an empty folder without the network, and run a detect there from both entry
// points; the answer must be the native CLI's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { makeDataset, NPM_DIR, runCli, skipReason, WASM_BUILD } from './wasm_support.mjs';

const skip = skipReason();

function npm(args, cwd) {
  const r = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd, encoding: 'utf8', env: { ...process.env, ANOMALENS_WASM_BUILD: WASM_BUILD } });
  assert.equal(r.status, 0, `npm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

describe('npm pack, offline install, detect', { skip }, () => {
  let set;
  let tarball;

  before(() => {
    set = makeDataset();
    const packs = join(set.dir, 'packs');
    mkdirSync(packs);
    const report = JSON.parse(npm(['pack', '--json', '--pack-destination', packs], NPM_DIR));
    tarball = join(packs, report[0].filename);
    const files = report[0].files.map((f) => f.path).sort();
    assert.deepEqual(files, ['LICENSE-nsfwjs', 'NOTICE.md', 'README.md', 'anomalens_wasm.mjs', 'anomalens_wasm.wasm',
                             'assets-browser.mjs', 'assets-node.mjs', 'index.cjs', 'index.d.cts', 'index.d.ts',
                             'index.mjs', 'lookout-handler.mjs', 'mobilenet_v2_block10.anwb', 'package.json']);
  });

  after(() => {
    if (set) rmSync(set.dir, { recursive: true, force: true });
  });

  test('installs offline into an empty folder and detects from ESM and CommonJS', () => {
    const app = join(set.dir, 'app');
    mkdirSync(app);
    npm(['install', '--offline', tarball], app);
    assert.ok(readdirSync(join(app, 'node_modules', 'anomalens')).includes('anomalens_wasm.wasm'));
    const image = set.test.find((e) => e.label === 'anomaly').path;
    writeFileSync(join(app, 'detect.mjs'), `
      import { readFileSync } from 'node:fs';
      import { Anomalens } from 'anomalens';
      const lv = await Anomalens.create();
      const model = await lv.loadModel(readFileSync(process.argv[2]));
      console.log(model.detectAnomaliesJson({ Body: readFileSync(process.argv[3]), ContentType: 'image/png' }));
      lv.dispose();
    `);
    writeFileSync(join(app, 'detect.cjs'), `
      const { readFileSync } = require('node:fs');
      const { Anomalens } = require('anomalens');
      Anomalens.create().then(async (lv) => {
        const model = await lv.loadModel(readFileSync(process.argv[2]));
        const { DetectAnomalyResult } = model.detectAnomalies({ Body: readFileSync(process.argv[3]) });
        // The mask arrives as PNG bytes; print it as Lookout's JSON carries it.
        if (DetectAnomalyResult.AnomalyMask) {
          DetectAnomalyResult.AnomalyMask = Buffer.from(DetectAnomalyResult.AnomalyMask).toString('base64');
        }
        console.log(JSON.stringify({ DetectAnomalyResult }));
        lv.dispose();
      });
    `);
    const native = runCli('detect', set.model, image);
    assert.equal(native.code, 0, native.stderr);
    for (const script of ['detect.mjs', 'detect.cjs']) {
      const r = spawnSync(process.execPath, [script, set.model, image], { cwd: app, encoding: 'utf8' });
      assert.equal(r.status, 0, `${script}: ${r.stderr}`);
      if (script === 'detect.mjs') assert.equal(r.stdout, native.stdout, 'the JSON text, byte for byte');
      else assert.deepEqual(JSON.parse(r.stdout), JSON.parse(native.stdout), 'the parsed response');
    }
  });
});
