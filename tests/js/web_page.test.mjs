// The inspection page end to end in headless Chromium (playwright-core,
// Debian's /usr/bin/chromium): Lookout's cookie set from ../shared is
// loaded, trained and evaluated in the page, then an image is inspected and
// kiosk mode reloaded offline. Every number the page shows is checked
// against the native CLI on the same model and images. Screenshots go to
// build/web-screenshots/. Skips without ../shared (fails under CI=true).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  buildAndServe, cli, cookieTrainingFiles, COOKIES, launchChromium, newContext, screenshot, webSkipReason,
} from './web_support.mjs';

const skip = webSkipReason();
const ANOMALY_IMAGE = join(COOKIES, 'test-images', 'test-anomaly-1.jpg');
const METRICS = ['ROCAUC', 'AveragePrecision', 'Precision', 'Recall', 'F1Score'];

describe('the inspection page in headless Chromium', { skip, timeout: 900_000 }, () => {
  let site, browser, context, page, dir;
  const modelPath = () => join(dir, 'page-model.anlm');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'anomalens-web-'));
    site = await buildAndServe();
    browser = await launchChromium();
    context = await newContext(browser);
    page = await context.newPage();
    page.on('pageerror', (error) => console.error('page error:', error));
  });

  after(async () => {
    await browser?.close();
    site?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('trains on the cookie set and shows the evaluation the CLI computes', async () => {
    await page.goto(site.url);
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 120_000 });
    // Keyboard: the file pickers are reachable with Tab.
    const focused = [];
    for (let i = 0; i < 6; ++i) {
      await page.keyboard.press('Tab');
      focused.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName));
    }
    assert.ok(focused.includes('pick-folder') && focused.includes('pick-files'), `Tab reaches the pickers: ${focused}`);

    // A folder of normal/ and anomaly/ images: the folder names label them.
    const folder = join(dir, 'cookie-folders');
    for (const label of ['normal', 'anomaly']) {
      mkdirSync(join(folder, label), { recursive: true });
      for (const name of readdirSync(join(COOKIES, 'training-images')).filter((n) => n.startsWith(label))) {
        // Copies: Playwright's folder upload leaves symbolic links out.
        copyFileSync(join(COOKIES, 'training-images', name), join(folder, label, name));
      }
    }
    // One file that is no JPEG: training stops with a message naming it.
    writeFileSync(join(folder, 'normal', 'broken.jpg'), 'not a jpeg');
    await page.setInputFiles('#pick-folder', folder);
    await page.waitForSelector('#train:not([disabled])', { timeout: 60_000 });
    assert.match(await page.locator('#stats-body').innerText(), /^Training\s+32\s+32\s+0\s+0\s+–$/);
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Training failed:'), null,
                               { timeout: 300_000 });
    assert.match(await page.locator('#status').textContent(), /^Training failed: cookie-folders\/normal\/broken\.jpg: \S+/);
    await page.click('#clear-project');

    // The manifests with a test set short of Lookout's minimum (8 anomalous
    // test images): a clear message, and no training until it is resolved.
    await page.setInputFiles('#pick-files', [...cookieTrainingFiles(), join(COOKIES, 'manifests', 'test.manifest'),
                                             ...readdirSync(join(COOKIES, 'test-images')).map((n) => join(COOKIES, 'test-images', n))]);
    await page.waitForSelector('#messages li.error');
    assert.match(await page.locator('#messages').innerText(),
                 /Test dataset: the test dataset has 14 normal and 8 anomalous images; a test dataset needs at least 10 normal and 10 anomalous images/);
    assert.equal(await page.locator('#train').isDisabled(), true);
    await page.click('#drop-test');   // one dataset then: Lookout's automatic split
    await page.waitForSelector('#train:not([disabled])', { timeout: 60_000 });
    // Cancel stops a training run and leaves the page ready for the next.
    await page.click('#train');
    await page.waitForFunction(() => document.getElementById('progress').value >= 2, null, { timeout: 120_000 });
    await page.click('#cancel');
    await page.waitForFunction(() => document.getElementById('status').textContent === 'Training cancelled.', null, { timeout: 60_000 });
    await page.waitForSelector('#train:not([disabled])', { timeout: 60_000 });
    assert.equal(await page.locator('#evaluation').isHidden(), true, 'no evaluation from a cancelled run');

    const stats = await page.locator('#stats-body tr').first().innerText();
    assert.match(stats, /Training\s+31\s+32\s+0\s+32\s+cracked/, `dataset stats shown: ${stats}`);
    // Quick, as `anomalens train --quick` below: the configuration search is
    // timed in bench/quality, not here.
    await page.check('#quick');
    await page.click('#train');
    await page.waitForSelector('#progress-box:not([hidden])');
    await page.waitForSelector('body[data-trained="true"]', { state: 'attached', timeout: 600_000 });
    await page.locator('#training').scrollIntoViewIfNeeded();
    await screenshot(page, 'trained-project.png', { fullPage: true });
    // The model's self-check is shown; a quick model has no search table.
    assert.match(await page.locator('#self-check-summary').textContent(),
                 /^56 synthetic defects pasted into held-out normal images: the model catches \d+% of them/);
    assert.equal(await page.locator('#search-table').isHidden(), true);

    // The model the page trained, downloaded as a file.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    await download.saveAs(modelPath());

    // The held-out images the page evaluated on: Lookout's split, which the
    // CLI makes for a single dataset too.
    const shown = JSON.parse(await page.locator('#evaluation').getAttribute('data-result'));
    const heldOut = JSON.parse(await page.locator('#evaluation').getAttribute('data-test-refs'));
    const cliSplit = join(dir, 'cli-split.manifest');
    cli('train', '--manifest', join(COOKIES, 'manifests', 'train.manifest'), '--output', join(dir, 'cli-model.anlm'),
        '--evaluation-manifest', cliSplit, '--quiet', '--quick');
    const cliHeldOut = readFileSync(cliSplit, 'utf8').trim().split('\n').map((l) => JSON.parse(l)['source-ref']);
    assert.deepEqual([...heldOut].sort(), [...cliHeldOut].sort(), 'the page holds out the images the CLI holds out');
    assert.ok(readFileSync(modelPath()).equals(readFileSync(join(dir, 'cli-model.anlm'))),
              'the page writes the model file `anomalens train` writes');

    // `anomalens evaluate` on the page's model and those images.
    const lines = readFileSync(join(COOKIES, 'manifests', 'train.manifest'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l)).filter((e) => heldOut.includes(e['source-ref']))
      .map((e) => JSON.stringify({ ...e, 'source-ref': join(COOKIES, e['source-ref']),
                                   'anomaly-mask-ref': e['anomaly-mask-ref'] && join(COOKIES, e['anomaly-mask-ref']) }));
    writeFileSync(join(dir, 'held-out.manifest'), lines.join('\n') + '\n');
    const expected = JSON.parse(cli('evaluate', modelPath(), '--manifest', join(dir, 'held-out.manifest'), '--quiet'));
    const got = shown.AggregatedEvaluationResults.Metrics;
    const want = expected.AggregatedEvaluationResults.Metrics;
    for (const key of METRICS) assert.equal(got[key], want[key], `${key}: page ${got[key]}, CLI ${want[key]}`);
    assert.ok(Number.isFinite(want.ROCAUC) && want.ROCAUC > 0.5, `a real evaluation (ROCAUC ${want.ROCAUC})`);
    // The figures on screen are those numbers.
    for (const [id, key] of [['m-rocauc', 'ROCAUC'], ['m-f1', 'F1Score'], ['m-precision', 'Precision'], ['m-recall', 'Recall']]) {
      assert.equal(await page.locator(`#${id}`).innerText(), want[key].toFixed(3), `${key} shown`);
    }
    // One tile per held-out image, marked as the model's decision against the label.
    const tiles = await page.locator('#test-grid .tile').count();
    assert.equal(tiles, heldOut.length);
    const correct = await page.locator('#test-grid .tile.correct').count();
    assert.ok(correct > tiles / 2, `${correct} of ${tiles} test images correct`);
  });

  test('inspects test-anomaly-1.jpg: cracked listed, mask drawn, JSON as the CLI prints it', async () => {
    await page.setInputFiles('#pick-image', ANOMALY_IMAGE);
    await page.waitForSelector('body[data-inspected="1"]', { state: 'attached', timeout: 120_000 });
    const json = await page.locator('#json').textContent();
    assert.equal(json + '\n', cli('detect', modelPath(), ANOMALY_IMAGE), 'the page prints the CLI detect line byte for byte');
    const result = JSON.parse(json).DetectAnomalyResult;
    assert.equal(result.IsAnomalous, true);
    assert.equal(await page.locator('#anomalies li[data-name="cracked"]').count(), 1, 'cracked is listed');
    const area = result.Anomalies.find((a) => a.Name === 'cracked').PixelAnomaly.TotalPercentageArea;
    assert.match(await page.locator('#anomalies li[data-name="cracked"]').innerText(), new RegExp(`${(area * 100).toFixed(2)}%`));

    // The mask is drawn: where the mask marks a defect, the canvas differs
    // from the plain image (the opacity slider at 0), towards the class
    // colour; elsewhere it does not.
    const drawn = await page.evaluate(async ({ mask }) => {
      const canvas = document.getElementById('picture');
      const slider = document.getElementById('opacity');
      const read = () => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const shown = read();
      slider.value = '0';
      slider.dispatchEvent(new Event('input'));
      const plain = read();
      slider.value = '0.6';
      slider.dispatchEvent(new Event('input'));
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(mask), (c) => c.charCodeAt(0))], { type: 'image/png' }));
      const m = new OffscreenCanvas(bitmap.width, bitmap.height).getContext('2d');
      m.drawImage(bitmap, 0, 0);
      const labels = m.getImageData(0, 0, bitmap.width, bitmap.height).data;
      if (bitmap.width !== canvas.width || bitmap.height !== canvas.height) return { size: `${bitmap.width}x${bitmap.height} vs ${canvas.width}x${canvas.height}` };
      const [r, g, b] = [0x23, 0xa4, 0x36];
      const counts = { defect: 0, tinted: 0, background: 0, untouched: 0 };
      for (let i = 0; i < labels.length; i += 4) {
        if (labels[i] === 255 && labels[i + 1] === 255 && labels[i + 2] === 255) {
          ++counts.background;
          if (shown[i] === plain[i] && shown[i + 1] === plain[i + 1] && shown[i + 2] === plain[i + 2]) ++counts.untouched;
        } else {
          ++counts.defect;
          const before = Math.abs(plain[i] - r) + Math.abs(plain[i + 1] - g) + Math.abs(plain[i + 2] - b);
          const after = Math.abs(shown[i] - r) + Math.abs(shown[i + 1] - g) + Math.abs(shown[i + 2] - b);
          if (after < before) ++counts.tinted;
        }
      }
      return counts;
    }, { mask: result.AnomalyMask });
    assert.equal(drawn.size, undefined, `the mask is the image's size: ${drawn.size}`);
    const { defect, tinted, background, untouched } = drawn;
    assert.ok(defect > 0, 'the mask marks some pixels');
    assert.ok(tinted / defect > 0.95, `${tinted} of ${defect} defect pixels tinted towards #23A436`);
    assert.ok(untouched / background > 0.99, `${untouched} of ${background} background pixels untouched`);
    await page.locator('#inspect').scrollIntoViewIfNeeded();
    await screenshot(page, 'inspected-anomaly.png');

    // A file that is no image gets a clear message, and the last result stays.
    await page.setInputFiles('#pick-image', { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a png') });
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('broken.png: not a readable image'));
    assert.equal(await page.locator('#json').textContent(), json);

    // A file that is no model is refused with the package's reason; the model stays loaded.
    await page.setInputFiles('#open-model', { name: 'bogus.anlm', mimeType: 'application/octet-stream', buffer: Buffer.from('no model') });
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Could not open bogus.anlm: '));
    assert.match(await page.locator('#status').textContent(), /Could not open bogus\.anlm: \S+/);

    // A model file from the CLI opens here and answers as the CLI does.
    const cliModel = join(dir, 'cli-model.anlm');
    await page.setInputFiles('#open-model', cliModel);
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Model loaded: cli-model.anlm'));
    const normalImage = join(COOKIES, 'test-images', 'test-normal-1.jpg');
    await page.setInputFiles('#pick-image', normalImage);
    await page.waitForSelector('body[data-inspected="2"]', { state: 'attached', timeout: 120_000 });
    assert.equal(await page.locator('#json').textContent() + '\n', cli('detect', cliModel, normalImage));
  });

  test('kiosk mode inspects camera frames, and again after a reload with the network blocked', async () => {
    const kiosk = `${site.url}?kiosk=1`;
    await page.goto(kiosk);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 60_000 });
    await page.waitForFunction(() => Number(document.body.dataset.kioskTotal) >= 2, null, { timeout: 120_000 });

    await context.setOffline(true);
    try {
      await page.reload();
      const blocked = await page.evaluate(() => fetch(`/not-cached-${Date.now()}`).then(() => false, () => true));
      assert.equal(blocked, true, 'the network is blocked');
      await page.waitForFunction(() => Number(document.body.dataset.kioskTotal) >= 3, null, { timeout: 120_000 });
      const banner = await page.locator('#kiosk-banner').innerText();
      assert.match(banner, /^(PASS|FAIL) · \d+\.\d%/, `banner: ${banner}`);
      const counts = await page.evaluate(() => ({ ...document.body.dataset }));
      assert.equal(Number(counts.kioskPass) + Number(counts.kioskFail), Number(counts.kioskTotal));
      await screenshot(page, 'kiosk.png');
    } finally {
      await context.setOffline(false);
    }
  });

  test('kiosk mode on camera frames of cookies: FAIL with cracked on a cracked one, PASS on a whole one', async () => {
    // The camera shows a photo: getUserMedia answers with a canvas's stream
    // (the page's own code is unchanged; only the camera is replaced).
    const verdicts = {};
    for (const name of ['test-anomaly-1.jpg', 'test-normal-1.jpg']) {
      const kioskPage = await context.newPage();
      await kioskPage.addInitScript((jpegBase64) => {
        navigator.mediaDevices.getUserMedia = async () => {
          const bytes = Uint8Array.from(atob(jpegBase64), (c) => c.charCodeAt(0));
          const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }), { imageOrientation: 'none' });
          const canvas = document.createElement('canvas');
          canvas.width = bitmap.width;
          canvas.height = bitmap.height;
          const draw = () => canvas.getContext('2d').drawImage(bitmap, 0, 0);
          draw();
          setInterval(draw, 100);
          return canvas.captureStream(10);
        };
      }, readFileSync(join(COOKIES, 'test-images', name)).toString('base64'));
      await kioskPage.goto(`${site.url}?kiosk=1`);
      await kioskPage.waitForFunction(() => Number(document.body.dataset.kioskTotal) >= 2, null, { timeout: 120_000 });
      verdicts[name] = await kioskPage.locator('#kiosk-banner').innerText();
      if (name.includes('anomaly')) await screenshot(kioskPage, 'kiosk-anomaly.png');
      await kioskPage.close();
    }
    assert.match(verdicts['test-anomaly-1.jpg'], /^FAIL · \d+\.\d% · cracked \d+\.\d%$/);
    assert.match(verdicts['test-normal-1.jpg'], /^PASS · \d+\.\d%$/);
  });
});
