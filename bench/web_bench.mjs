// bench/web's measurements; see bench/web. Needs ../shared's cookie set.
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  buildAndServe, cookieTrainingFiles, COOKIES, launchChromium, newContext, REPO, webSkipReason,
} from '../tests/js/web_support.mjs';

const kioskSeconds = Number(process.argv[2] || 20);
const skip = webSkipReason();
if (skip) {
  console.error(`bench/web: ${skip}`);
  process.exit(1);
}
const site = await buildAndServe();
const browser = await launchChromium();
const figures = { chromium: browser.version() };
const readyMs = (page) => page.evaluate(() => Number(document.body.dataset.readyMs));
const time = async (fn) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
try {
  const context = await newContext(browser);
  const page = await context.newPage();
  // Cold: a fresh profile, nothing cached. Navigation start to the worker's
  // runtime loaded (wasm compiled, backbone weights parsed).
  figures.coldLoadMs = await time(async () => {
    await page.goto(site.url);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });
  });
  figures.coldReadyInPageMs = await readyMs(page);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
  // Cached: the service worker serves the site, wasm and weights.
  const cached = [];
  for (let i = 0; i < 3; ++i) {
    cached.push(await time(async () => {
      await page.reload();
      await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });
    }));
  }
  figures.cachedLoadMs = Math.min(...cached);

  // Training: the cookies' train.manifest with images and masks, split as
  // Lookout splits one dataset; the page's own clock (in the worker).
  await page.setInputFiles('#pick-files', cookieTrainingFiles());
  await page.waitForSelector('#train:not([disabled])', { timeout: 60_000 });
  figures.trainAndEvaluateWallMs = await time(async () => {
    await page.click('#train');
    await page.waitForSelector('body[data-trained="true"]', { state: 'attached', timeout: 900_000 });
  });
  figures.trainMs = Number(await page.evaluate(() => document.body.dataset.trainMs));
  figures.trainingImages = 63 - await page.locator('#test-grid .tile').count();

  // Detect: every cookie test image through the page's inspect path; the
  // worker's time for DetectAnomalies (decode + model + mask PNG).
  const detectMs = [];
  const images = readdirSync(join(COOKIES, 'test-images')).sort();
  for (const [i, name] of images.entries()) {
    await page.setInputFiles('#pick-image', join(COOKIES, 'test-images', name));
    await page.waitForSelector(`body[data-inspected="${i + 1}"]`, { state: 'attached', timeout: 120_000 });
    detectMs.push(Number(await page.evaluate(() => document.body.dataset.detectMs)));
  }
  detectMs.sort((a, b) => a - b);
  figures.detectImages = detectMs.length;
  figures.detectMedianMs = detectMs[Math.floor(detectMs.length / 2)];
  figures.detectMaxMs = detectMs[detectMs.length - 1];

  // Kiosk: the synthetic camera (640x480), frames per second over the run.
  await page.goto(`${site.url}?kiosk=1`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });
  const start = await page.evaluate(() => Number(document.body.dataset.kioskTotal || 0));
  await page.waitForTimeout(kioskSeconds * 1000);
  const end = await page.evaluate(() => Number(document.body.dataset.kioskTotal || 0));
  figures.kioskSeconds = kioskSeconds;
  figures.kioskFrames = end - start;
  figures.kioskFps = Number(((end - start) / kioskSeconds).toFixed(2));
  figures.kioskFpsShown = Number(await page.evaluate(() => document.body.dataset.kioskFps));
  figures.kioskLastDetectMs = Number(await page.evaluate(() => document.body.dataset.kioskDetectMs));
  figures.kioskFrame = await page.evaluate(() => {
    const canvas = document.getElementById('kiosk-picture');
    return `${canvas.width}x${canvas.height}`;
  });
} finally {
  await browser.close();
  site.server.close();
}
const out = join(REPO, 'build', 'bench', 'web.json');
writeFileSync(out, JSON.stringify(figures, null, 2) + '\n');
console.log(`page load to ready: cold ${(figures.coldLoadMs / 1000).toFixed(2)} s, cached ${(figures.cachedLoadMs / 1000).toFixed(2)} s`);
console.log(`training, cookie set (${figures.trainingImages} images after the held-out split): ${(figures.trainMs / 1000).toFixed(1)} s ` +
            `(train + evaluate wall ${(figures.trainAndEvaluateWallMs / 1000).toFixed(1)} s)`);
console.log(`detect per image (${figures.detectImages} cookie test images, 576x768): median ${figures.detectMedianMs.toFixed(0)} ms, max ${figures.detectMaxMs.toFixed(0)} ms`);
console.log(`kiosk, synthetic camera (${figures.kioskFrame} inspected): ${figures.kioskFps} frames/s over ${kioskSeconds} s ` +
            `(page shows ${figures.kioskFpsShown}; last detect ${figures.kioskLastDetectMs} ms)`);
console.log(`(${out})`);
