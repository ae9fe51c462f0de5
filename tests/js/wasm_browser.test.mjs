// The npm package in a real browser: headless Chromium loads index.mjs from a
// local HTTP server (no bundler; an import map resolves the package's
// '#assets' to its browser variant), fetches the wasm and weights, detects
// one image and posts the JSON back; it must be the native CLI's. Skips
// where Chromium is not installed (tools/setup does not install it).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';

import { makeDataset, NPM_DIR, runCli, skipReason, stagePackage } from './wasm_support.mjs';

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find(
  (name) => spawnSync('sh', ['-c', `command -v ${name}`]).status === 0);
// tools/setup installs Chromium; under CI=true its absence is a failure, not a skip.
if (!chromium && process.env.CI === 'true') throw new Error('CI=true but Chromium is not installed (tools/setup installs it)');
const skip = skipReason() || (chromium ? false : 'Chromium not installed');

const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm',
                '.html': 'text/html' };

const PAGE = `<!doctype html>
<script type="importmap">{"imports": {"#assets": "/pkg/assets-browser.mjs"}}</script>
<script type="module">
  const post = (body) => fetch('/result', { method: 'POST', body });
  try {
    const { Anomalens } = await import('/pkg/index.mjs');
    const lv = await Anomalens.create();
    const bytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
    const model = await lv.loadModel(await bytes('/model.anlm'));
    const json = model.detectAnomaliesJson({ Body: await bytes('/image.png'), ContentType: 'image/png' });
    const canvas = new OffscreenCanvas(96, 72);
    const context = canvas.getContext('2d');
    context.fillStyle = '#8a6'; context.fillRect(0, 0, 96, 72);
    const fromPixels = model.detectAnomalies(context.getImageData(0, 0, 96, 72)).DetectAnomalyResult;
    lv.dispose();
    await post(JSON.stringify({ json, pixels: typeof fromPixels.IsAnomalous }));
  } catch (e) {
    await post(JSON.stringify({ error: String(e && e.stack || e) }));
  }
</script>`;

describe('the package in headless Chromium', { skip }, () => {
  let set;
  let server;

  before(() => {
    stagePackage();
    set = makeDataset();
  });

  after(() => {
    server?.close();
    // Chromium's helper processes may still be closing their profile files.
    // A leftover temporary folder is harmless; a failed cleanup must not fail the suite.
    try {
      if (set) rmSync(set.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    } catch (error) {
      console.warn(`could not remove ${set.dir}: ${error.message}`);
    }
  });

  test('fetches the wasm and weights and detects as the native CLI does', async () => {
    const image = set.test.find((e) => e.label === 'anomaly').path;
    let resolveResult;
    const result = new Promise((resolve) => { resolveResult = resolve; });
    server = createServer((req, res) => {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (d) => { body += d; });
        req.on('end', () => { res.end(); resolveResult(JSON.parse(body)); });
        return;
      }
      const url = new URL(req.url, 'http://localhost');
      let file;
      if (url.pathname === '/') file = null;
      else if (url.pathname === '/model.anlm') file = set.model;
      else if (url.pathname === '/image.png') file = image;
      else if (url.pathname.startsWith('/pkg/')) file = join(NPM_DIR, normalize(url.pathname.slice(5)).replace(/^(\.\.[/\\])+/, ''));
      else { res.writeHead(404).end(); return; }
      try {
        const body = file ? readFileSync(file) : PAGE;
        res.writeHead(200, { 'content-type': TYPES[extname(file || 'x.html')] || 'application/octet-stream' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${server.address().port}/`;
    const browser = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                                     `--user-data-dir=${join(set.dir, 'chromium')}`, url], { stdio: 'ignore' });
    try {
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no answer from Chromium in 60 s')), 60000).unref());
      const answer = await Promise.race([result, timeout]);
      assert.equal(answer.error, undefined, answer.error);
      const native = runCli('detect', set.model, image);
      assert.equal(native.code, 0, native.stderr);
      assert.equal(answer.json + '\n', native.stdout);
      assert.equal(answer.pixels, 'boolean');
    } finally {
      const exited = once(browser, 'exit');
      browser.kill();
      await exited;
    }
  });
});
