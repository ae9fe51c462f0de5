// Shared setup of the inspection page's browser tests (web_*.test.mjs) and
// bench/web: builds the site (tools/build-web), serves it on localhost,
// starts Debian's Chromium through playwright-core, and runs the native CLI
// whose answers the page must reproduce.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { serveStatic } from '../../tools/static-server.mjs';
import { CLI, COOKIES, REPO, WASM_BUILD } from './wasm_support.mjs';

export { COOKIES, REPO };
export const CHROMIUM = process.env.ANOMALENS_CHROMIUM || '/usr/bin/chromium';
export const WEB_OUT = join(REPO, 'build', 'web');
export const SCREENSHOTS = join(REPO, 'build', 'web-screenshots');

// The native CLI's backend for the reference answers. The page runs the
// portable wasm kernels; the byte-for-byte comparisons need the CLI on the
// same arithmetic, not on its default XNNPACK (which agrees only within
// tests/xnnpack_backbone_test.cc's tolerances).
const CLI_BACKEND_ARGS = ['--backend', 'portable'];

// Runs `anomalens COMMAND ...args` for a reference answer; fails the test on
// a non-zero exit. Returns stdout.
export function cli(command, ...args) {
  const r = spawnSync(CLI, [command, ...args, ...CLI_BACKEND_ARGS], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `anomalens ${command} failed: ${r.stderr}`);
  return r.stdout;
}

// false, or why the page's suites skip: no wasm or native build, no Chromium,
// no cookie set. Under CI=true a missing prerequisite fails instead.
export function webSkipReason({ needCookies = true, needCli = true } = {}) {
  const missing = [];
  const wasm = join(WASM_BUILD, 'wasm', 'anomalens_wasm.wasm');
  if (!existsSync(wasm)) missing.push([`${wasm} not built; run tools/build-wasm`, process.env.ANOMALENS_WASM_BUILD]);
  if (needCli && !existsSync(CLI)) missing.push([`${CLI} not built; run tools/build`, process.env.ANOMALENS_CLI]);
  if (!existsSync(CHROMIUM)) missing.push([`${CHROMIUM} not installed (tools/setup installs chromium)`, false]);
  if (needCookies && !existsSync(join(COOKIES, 'manifests', 'train.manifest'))) {
    missing.push([`${COOKIES} not found (Lookout's cookie set in ../shared)`, false]);
  }
  for (const [reason, fromEnv] of missing) {
    if (fromEnv || process.env.CI === 'true') throw new Error(`${reason}${fromEnv ? ' (its path was given through the environment)' : ' and CI=true'}`);
  }
  return missing.length ? missing[0][0] : false;
}

// Builds build/web/ and serves it; resolves with { server, url }.
export async function buildAndServe() {
  const r = spawnSync(process.execPath, [join(REPO, 'tools', 'build-web.mjs')], {
    encoding: 'utf8', env: { ...process.env, ANOMALENS_WASM_BUILD: WASM_BUILD } });
  assert.equal(r.status, 0, `tools/build-web failed: ${r.stderr}${r.stdout}`);
  const server = await serveStatic(WEB_OUT);
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

// Headless Chromium with a synthetic camera (a test pattern with a moving
// shape, Chromium's --use-fake-device-for-media-stream) the page may use.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--use-fake-device-for-media-stream',
           '--use-fake-ui-for-media-stream', '--disable-gpu'],
  });
}

export async function newContext(browser) {
  return browser.newContext({ acceptDownloads: true, permissions: ['camera'], viewport: { width: 1280, height: 900 } });
}

export async function screenshot(page, name, options = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), ...options });
}

// The cookie set's files as the page takes them: the training manifest, its
// images and masks (a single-dataset project: the page splits it as Lookout did).
export function cookieTrainingFiles() {
  const files = [join(COOKIES, 'manifests', 'train.manifest')];
  for (const folder of ['training-images', 'mask-images']) {
    for (const name of readdirSync(join(COOKIES, folder)).sort()) files.push(join(COOKIES, folder, name));
  }
  return files;
}
