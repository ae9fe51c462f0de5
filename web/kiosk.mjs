// Kiosk mode (?kiosk=1): full-screen camera inspection at a steady frame
// rate, a large pass/fail banner and counters. The model is the one the page
// last trained or opened (model-store.mjs), or ?model=URL; after one load
// online, the service worker serves everything offline.
import { anomalyTypes, drawOverlay, maskLayer } from './overlay.mjs';
import { loadSavedModel, saveModel } from './model-store.mjs';

const $ = (id) => document.getElementById(id);
// Frames are inspected at a fixed rhythm: the recent slowest inspection,
// rounded up to this step, so the pace does not jitter with each frame.
const PACE_STEP_MS = 50;
const FASTEST_PACE_MS = 100; // at most 10 frames per second: a line camera needs no more
// Frames are scaled down to this longest side before inspection: the model
// works at a 224 or 288 px short side anyway, and the mask PNG and its
// drawing cost grow with the frame's pixels.
const LONGEST_SIDE = 640;

export async function startKiosk(client, setStatus) {
  const started = performance.now();
  document.body.classList.add('kiosk-mode');
  $('workspace').hidden = true;
  $('kiosk').hidden = false;
  const banner = $('kiosk-banner');
  const show = (text, kind) => {
    banner.textContent = text;
    banner.className = `banner ${kind}`;
  };
  const counts = { total: 0, pass: 0, fail: 0 };
  const showCounts = () => {
    $('k-total').textContent = counts.total;
    $('k-pass').textContent = counts.pass;
    $('k-fail').textContent = counts.fail;
    Object.assign(document.body.dataset, { kioskTotal: counts.total, kioskPass: counts.pass, kioskFail: counts.fail });
  };
  $('kiosk-reset').addEventListener('click', () => {
    Object.assign(counts, { total: 0, pass: 0, fail: 0 });
    showCounts();
  });
  $('kiosk-fullscreen').addEventListener('click', () => document.documentElement.requestFullscreen?.().catch(() => {}));

  try {
    await client.ready;
    let bytes = null;
    const modelUrl = new URLSearchParams(location.search).get('model');
    if (modelUrl) {
      const response = await fetch(modelUrl);
      if (!response.ok) throw new Error(`fetching the model ${modelUrl} failed with HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer());
      await saveModel(bytes);
    } else {
      bytes = await loadSavedModel();
    }
    if (!bytes) {
      show('No model yet: train or open one on the main page, then come back.', 'idle');
      setStatus('No model', 'error');
      return;
    }
    await client.load(bytes);
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
    const video = $('kiosk-video');
    video.srcObject = stream;
    await video.play();
    document.body.dataset.ready = 'true';
    document.body.dataset.readyMs = String(Math.round(performance.now() - started));
    show('Inspecting…', 'idle');
    run(client, video, show, counts, showCounts);
  } catch (error) {
    show(`Kiosk stopped: ${error.message}`, 'error');
  }
}

function run(client, video, show, counts, showCounts) {
  const canvas = $('kiosk-picture');
  const recent = [];      // durations of the last inspections, ms
  const starts = [];      // start times of the last frames, for frames per second
  let pace = FASTEST_PACE_MS;
  let next = performance.now();

  const tick = async () => {
    const frameStart = performance.now();
    starts.push(frameStart);
    if (starts.length > 20) starts.shift();
    const scale = Math.min(1, LONGEST_SIDE / Math.max(video.videoWidth, video.videoHeight));
    const frame = new OffscreenCanvas(Math.round(video.videoWidth * scale), Math.round(video.videoHeight * scale));
    const context = frame.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0, frame.width, frame.height);
    const pixels = context.getImageData(0, 0, frame.width, frame.height);
    try {
      const { json, ms } = await client.call('detect', { pixels: { data: pixels.data, width: pixels.width, height: pixels.height } },
                                         null, [pixels.data.buffer]);
      const result = JSON.parse(json).DetectAnomalyResult;
      document.body.dataset.kioskDetectMs = ms.toFixed(1);
      drawOverlay(canvas, frame, await maskLayer(result), 0.6);
      ++counts.total;
      if (result.IsAnomalous) ++counts.fail;
      else ++counts.pass;
      showCounts();
      const types = anomalyTypes(result).map((a) => `${a.Name} ${(a.PixelAnomaly.TotalPercentageArea * 100).toFixed(1)}%`);
      show(`${result.IsAnomalous ? 'FAIL' : 'PASS'} · ${(result.Confidence * 100).toFixed(1)}%${types.length ? ' · ' + types.join(', ') : ''}`,
           result.IsAnomalous ? 'fail' : 'pass');
    } catch (error) {
      show(`Frame not inspected: ${error.message}`, 'error');
    }
    recent.push(performance.now() - frameStart);
    if (recent.length > 10) recent.shift();
    // Slow down at once when frames take longer; speed up only when the
    // slowest recent frame fits a clearly shorter pace.
    const needed = Math.max(FASTEST_PACE_MS, Math.ceil(Math.max(...recent) / PACE_STEP_MS) * PACE_STEP_MS);
    if (needed > pace || needed <= pace - 2 * PACE_STEP_MS) pace = needed;
    if (starts.length > 2) {
      const fps = ((starts.length - 1) * 1000) / (starts[starts.length - 1] - starts[0]);
      $('k-fps').textContent = fps.toFixed(1);
      document.body.dataset.kioskFps = fps.toFixed(2);
    }
    next = Math.max(next + pace, performance.now());
    setTimeout(tick, next - performance.now());
  };
  tick();
}
