// The inspection page: project, training with evaluation, inspection. All
// model work runs in worker.mjs; this file only handles the page. With
// ?kiosk=1 it hands over to kiosk.mjs.
import { buildProject, isManifestPath, manifestRole, statsOf } from './dataset.mjs';
import { anomalyTypes, drawOverlay, maskLayer } from './overlay.mjs';
import { loadSavedModel, saveModel } from './model-store.mjs';
import { WorkerClient } from './worker-client.mjs';

const $ = (id) => document.getElementById(id);
const client = new WorkerClient();
const pageStarted = performance.now();

// Offline after the first load: the service worker caches the site, the
// wasm and the weights (and serves the saved model).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('./sw.js').catch((error) => console.warn('service worker:', error));
}

function setStatus(text, kind = '') {
  $('status').textContent = text;
  $('status').className = kind;
}

const kiosk = new URLSearchParams(location.search).get('kiosk');
if (kiosk && kiosk !== '0') {
  const { startKiosk } = await import('./kiosk.mjs');
  startKiosk(client, setStatus);
} else {
  startWorkspace();
}

function startWorkspace() {
  let project = null;   // buildProject's result
  let modelBytes = null;
  let inspected = null; // { image, layer } of the last inspection, for the opacity slider
  let stream = null;

  client.ready.then(async ({ ms }) => {
    document.body.dataset.ready = 'true';
    document.body.dataset.readyMs = String(Math.round(performance.now() - pageStarted));
    const saved = await loadSavedModel().catch(() => null);
    if (saved) await useModel(saved, 'the model saved from the last session');
    else setStatus(`Ready (runtime loaded in ${(ms / 1000).toFixed(1)} s). Add a project to train, or open a model file.`);
    $('camera').disabled = false;
    updateTrainButton();
  }, (error) => setStatus(`Could not load the model runtime: ${error.message}`, 'error'));

  // ---- 1. Project ------------------------------------------------------
  // Files add up (a manifest, then its image folders); Clear starts over.
  // Labels set by hand survive adding more files.
  let records = new Map();     // path -> { file, path }
  const labelsByHand = new Map(); // path -> label

  async function addFiles(added) {
    if (added.length === 0 && records.size === 0) return;
    setStatus(`Reading ${added.length} files…`);
    for (const record of added) records.set(record.path, record);
    const parse = async (text) => (await client.call('parseManifest', { text })).entries;
    project = await buildProject([...records.values()], parse);
    for (const image of [...project.train, ...project.test]) {
      if (labelsByHand.has(image.path)) image.label = labelsByHand.get(image.path);
    }
    await showProject();
  }

  async function showProject() {
    $('project-summary').hidden = !project;
    $('clear-project').disabled = !project;
    if (!project) {
      updateTrainButton();
      return;
    }
    const rows = [['Training', project.train], ...(project.test.length ? [['Test', project.test]] : [])];
    $('stats-body').replaceChildren(...rows.map(([name, dataset]) => {
      const s = statsOf(dataset);
      const tr = document.createElement('tr');
      const classes = Object.entries(s.classes).map(([n, c]) => `<span class="swatch" style="background:${c}"></span>${escapeHtml(n)}`).join(' ');
      tr.innerHTML = `<th scope="row">${name}</th><td>${s.normal}</td><td>${s.anomaly}</td><td>${s.unlabelled}</td><td>${s.masks}</td><td>${classes || '–'}</td>`;
      return tr;
    }));
    const messages = [...project.problems.map((p) => ['error', p])];
    const train = statsOf(project.train), test = statsOf(project.test);
    if (train.unlabelled + test.unlabelled > 0) {
      messages.push(['error', `${train.unlabelled + test.unlabelled} images have no label: put them in normal/ or anomaly/ folders, select them below, or label them all with a button.`]);
    }
    if (project.ignored > 0) messages.push(['info', `${project.ignored} image files are in no manifest and were left out.`]);
    // One dataset without labelled anomalies trains on its normal images
    // alone (ours, as `anomalens train`; Lookout refused it).
    const normalOnly = !project.test.length && train.anomaly === 0;
    const minimums = project.test.length
      ? [['train', train, 'Training dataset'], ['test', test, 'Test dataset']]
      : [[normalOnly ? 'normal-only' : 'single', train, 'Dataset']];
    project.blocked = messages.some(([kind]) => kind === 'error');
    for (const [kind, counts, name] of minimums) {
      const { message } = await client.call('minimums', { kind, counts: { normal: counts.normal, anomaly: counts.anomaly } });
      if (message) {
        messages.push(['error', `${name}: ${message} (${normalOnly ? 'a normal-only dataset\'s' : 'Lookout\'s'} minimum).`]);
        project.blocked = true;
      }
    }
    if (normalOnly && !project.blocked) {
      messages.push(['ok', `Normal images only: no labelled anomalies were given, so the threshold comes from normal images only, aimed at the false-positive rate below; about 1 in 5 images is held out to measure it.`]);
    } else if (!project.test.length && !project.blocked) {
      messages.push(['ok', `One dataset: like Lookout, about 1 in 5 images of each label is held out to evaluate the model.`]);
    } else if (!project.blocked) {
      messages.push(['ok', `Separate training and test datasets: the model trains on the first and is evaluated on the second.`]);
    }
    $('messages').replaceChildren(...messages.map(([kind, text]) => {
      const li = document.createElement('li');
      li.className = kind;
      li.textContent = text;
      return li;
    }));
    const unlabelled = train.unlabelled + test.unlabelled > 0;
    $('label-normal').hidden = $('label-anomaly').hidden = !unlabelled;
    $('drop-test').hidden = !(project.test.length && project.source === 'manifest');
    renderDatasetGrid();
    updateTrainButton();
    setStatus(project.blocked ? 'The project needs attention before training (see the messages).' : 'Project ready to train.');
  }

  function renderDatasetGrid() {
    const tiles = [...project.train.map((i) => ['train', i]), ...project.test.map((i) => ['test', i])].map(([role, image]) => {
      const tile = document.createElement('button');
      tile.type = 'button';
      tile.className = `tile ${image.label ?? 'unlabelled'}`;
      tile.title = `${image.path}: ${image.label ?? 'unlabelled'} (${role}); select to change`;
      tile.innerHTML = `<img loading="lazy" alt="" src="${thumbnail(image.file)}"><span>${image.label ?? '?'}${role === 'test' ? ' · test' : ''}</span>`;
      tile.addEventListener('click', () => {
        image.label = image.label === 'normal' ? 'anomaly' : image.label === 'anomaly' ? null : 'normal';
        labelsByHand.set(image.path, image.label);
        showProject();
      });
      return tile;
    });
    $('dataset-grid').replaceChildren(...tiles);
  }

  const thumbnails = new WeakMap();
  function thumbnail(file) {
    if (!thumbnails.has(file)) thumbnails.set(file, URL.createObjectURL(file));
    return thumbnails.get(file);
  }

  function labelUnlabelled(label) {
    for (const image of [...project.train, ...project.test]) {
      if (image.label) continue;
      image.label = label;
      labelsByHand.set(image.path, label);
    }
    showProject();
  }

  $('label-normal').addEventListener('click', () => labelUnlabelled('normal'));
  $('label-anomaly').addEventListener('click', () => labelUnlabelled('anomaly'));
  $('drop-test').addEventListener('click', async () => {
    // The test manifest goes; its images stay but are in no manifest now.
    for (const path of [...records.keys()]) {
      if (isManifestPath(path) && manifestRole(path) === 'test') records.delete(path);
    }
    await addFiles([]);
  });
  $('clear-project').addEventListener('click', () => {
    project = null;
    records = new Map();
    labelsByHand.clear();
    showProject();
  });
  for (const id of ['pick-folder', 'pick-files']) {
    $(id).addEventListener('change', async (e) => {
      await addFiles([...e.target.files].map(recordOf));
      e.target.value = '';
    });
  }

  const recordOf = (file) => ({ file, path: file.webkitRelativePath || file.name });

  // Dropped folders are walked with the File System entries API.
  async function droppedRecords(dataTransfer) {
    const entries = [...dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
    if (entries.length === 0) return [...dataTransfer.files].map(recordOf);
    const records = [];
    const walk = async (entry, prefix) => {
      if (entry.isFile) {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        records.push({ file, path: prefix + entry.name });
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
          if (batch.length === 0) break;
          for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
        }
      }
    };
    for (const entry of entries) await walk(entry, '');
    return records;
  }

  // ---- 2. Training and evaluation ---------------------------------------
  let trainingRun = null;

  function updateTrainButton() {
    $('train').disabled = !project || project.blocked || trainingRun !== null || !document.body.dataset.ready;
  }

  async function train() {
    const test = project.test.length ? project.test : [];
    let train = project.train;
    let heldOut = [];
    if (!test.length) {
      const { heldOut: flags } = await client.call('split', { items: train.map(({ sourceRef, label }) => ({ sourceRef, label })) });
      heldOut = train.filter((_, i) => flags[i]);
      train = train.filter((_, i) => !flags[i]);
    }
    const testSet = test.length ? test : heldOut;
    trainingRun = { started: performance.now() };
    updateTrainButton();
    $('cancel').disabled = false;
    $('progress-box').hidden = false;
    $('evaluation').hidden = true;
    document.body.dataset.trained = 'false';
    setStatus(`Training on ${train.length} images, then evaluating on ${testSet.length}…`);
    const progress = ({ stage, done, total }) => {
      const names = { features: 'Extracting features', calibration: 'Building the memory banks',
                      search: 'Trying configurations', evaluation: 'Evaluating' };
      $('progress').max = total || 1;
      $('progress').value = done;
      $('progress-text').textContent = `${names[stage] ?? stage}: ${done} of ${total}`;
    };
    try {
      const answer = await client.call('train', {
        train: train.map(({ file, path, label, mask, colorMap }) => ({ file, path, label, mask, colorMap })),
        test: testSet.map(({ file, path, label }) => ({ file, path, label })),
        // The package checks it (a clear ValidationException when out of range).
        falsePositiveRate: Number($('false-positive-rate').value),
        quick: $('quick').checked,
      }, progress);
      modelBytes = answer.model;
      client.remember(modelBytes);
      await saveModel(modelBytes).catch(() => {});
      $('download').disabled = false;
      showEvaluation(answer.evaluation, testSet, answer);
      showSelfCheck(answer.description);
      setStatus(`Trained in ${(answer.trainMs / 1000).toFixed(1)} s on ${train.length} images; the model is ready to inspect.`, 'ok');
      document.body.dataset.trained = 'true';
      document.body.dataset.trainMs = String(Math.round(answer.trainMs));
    } catch (error) {
      if (error.name === 'AbortError') setStatus('Training cancelled.');
      else setStatus(`Training failed: ${error.message}`, 'error');
    } finally {
      trainingRun = null;
      $('cancel').disabled = true;
      $('progress-box').hidden = true;
      updateTrainButton();
    }
  }

  async function cancel() {
    $('cancel').disabled = true;
    await client.call('cancel');
    // Feature extraction stops at the next image; the memory banks' step
    // runs in one piece, so a worker still busy shortly after is replaced.
    const run = trainingRun;
    setTimeout(() => { if (trainingRun === run && run !== null) client.restart(); }, 500);
  }

  const format = (value) => (value === null || value === undefined ? 'n/a' : value.toFixed(3));

  // What the model says of itself (Anomalens#describeModel): how well it
  // found synthetic defects in held-out normal images, and, when the
  // configuration search ran, the candidates it compared.
  function showSelfCheck(description) {
    const check = description?.selfCheck;
    const search = description?.configurationSearch ?? [];
    $('self-check').hidden = !check && search.length === 0;
    const percent = (v) => (v === null || v === undefined ? 'n/a' : `${(100 * v).toFixed(0)}%`);
    $('self-check-summary').textContent = check
      ? `${check.defects} synthetic defects pasted into held-out normal images: the model catches ${percent(check.recall)} ` +
        `of them at its threshold (ROC AUC ${format(check.imageRocAuc)}, pixel AUPRO ${format(check.pixelAupro)}), and calls ` +
        `${percent(check.falsePositiveRate)} of the held-out normal images anomalous. Chosen: ${description.normalModel}, ` +
        `${description.shortSide} px; threshold rule ${description.thresholdRule}.`
      : 'The self-check did not run for this model.';
    $('search-table').hidden = search.length === 0;
    $('search-body').replaceChildren(...search.map((c) => {
      const row = document.createElement('tr');
      if (c.chosen) row.className = 'chosen';
      const compressed = c.compressedNormals > 0 ? `${c.compressedFlagged} of ${c.compressedNormals}` : 'n/a';
      const cells = c.error ? [c.name, `not fitted: ${c.error}`, '', '', '', '']
        : [c.name + (c.chosen ? ' (chosen)' : ''), format(c.syntheticRocAuc), format(c.syntheticAupro),
           percent(c.syntheticRecall), compressed, format(c.labelledRocAuc)];
      row.replaceChildren(...cells.map((text) => Object.assign(document.createElement('td'), { textContent: text })));
      return row;
    }));
  }

  function showEvaluation(evaluation, testSet, timing) {
    $('evaluation').hidden = false;
    if (!evaluation) {
      $('evaluation-note').textContent = 'No test images: nothing to evaluate.';
      return;
    }
    const m = evaluation.EvaluationResult.AggregatedEvaluationResults.Metrics;
    for (const [id, key] of [['m-rocauc', 'ROCAUC'], ['m-f1', 'F1Score'], ['m-precision', 'Precision'], ['m-recall', 'Recall']]) {
      $(id).textContent = format(m[key]);
      $(id).dataset.value = JSON.stringify(m[key]);
    }
    $('evaluation').dataset.result = JSON.stringify(evaluation.EvaluationResult);
    $('evaluation').dataset.testRefs = JSON.stringify(testSet.map((i) => i.sourceRef));
    const correct = evaluation.Images.filter((i) => i.Correct).length;
    const anomalous = evaluation.Images.filter((i) => i.Label === 'anomaly').length;
    $('evaluation-note').textContent = `${correct} of ${evaluation.Images.length} test images classified correctly ` +
      `(evaluated in ${(timing.evaluationMs / 1000).toFixed(1)} s). ` +
      (anomalous === 0
        ? `The test images are all normal: no recall or F1 to measure; ${evaluation.Images.length - correct} called anomalous ` +
          `is the false-positive rate on unseen normal images (${(100 * (evaluation.Images.length - correct) / evaluation.Images.length).toFixed(1)}%).`
        : 'Precision, recall and F1 count anomalies as positives.');
    $('test-grid').replaceChildren(...evaluation.Images.map((image, i) => {
      const r = image.DetectAnomalyResult;
      const tile = document.createElement('button');
      tile.type = 'button';
      tile.className = `tile ${image.Correct ? 'correct' : 'incorrect'}`;
      const verdict = r.IsAnomalous ? 'anomaly' : 'normal';
      tile.title = `${testSet[i].path}: labelled ${image.Label}, predicted ${verdict} (${(r.Confidence * 100).toFixed(1)}%); select to inspect`;
      tile.innerHTML = `<img loading="lazy" alt="" src="${thumbnail(testSet[i].file)}">` +
        `<span>${image.Correct ? '✓' : '✗'} ${verdict} ${(r.Confidence * 100).toFixed(0)}%</span>`;
      tile.addEventListener('click', () => inspectFile(testSet[i].file));
      return tile;
    }));
  }

  $('train').addEventListener('click', train);
  $('cancel').addEventListener('click', cancel);
  $('download').addEventListener('click', () => {
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([modelBytes], { type: 'application/octet-stream' }));
    link.download = 'model.anlm';
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  });
  $('open-model').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (file) await useModel(new Uint8Array(await file.arrayBuffer()), file.name);
    e.target.value = '';
  });

  async function useModel(bytes, name) {
    try {
      await client.ready;
      await client.load(bytes);
      modelBytes = bytes;
      $('download').disabled = false;
      await saveModel(bytes).catch(() => {});
      document.body.dataset.trained = 'true';
      setStatus(`Model loaded: ${name}. Inspect an image, or open kiosk mode.`, 'ok');
    } catch (error) {
      setStatus(`Could not open ${name}: ${error.message}`, 'error');
    }
  }

  // ---- 3. Inspection ---------------------------------------------------------
  async function inspect(request, image) {
    try {
      const { json, ms } = await client.call('detect', request);
      const result = JSON.parse(json).DetectAnomalyResult;
      const layer = await maskLayer(result);
      inspected = { image, layer };
      drawOverlay($('picture'), image, layer, Number($('opacity').value));
      showVerdict(result, ms);
      $('json').textContent = json;
      document.querySelector('.inspect-view').classList.add('has-result');
      document.body.dataset.detectMs = ms.toFixed(1);
      document.body.dataset.inspected = String(Number(document.body.dataset.inspected || 0) + 1);
    } catch (error) {
      setStatus(`Could not inspect the image: ${error.message}`, 'error');
    }
  }

  function showVerdict(result, ms) {
    const verdict = $('verdict');
    verdict.hidden = false;
    verdict.className = `verdict ${result.IsAnomalous ? 'fail' : 'pass'}`;
    verdict.innerHTML = `<strong>${result.IsAnomalous ? 'Anomaly' : 'Normal'}</strong>` +
      `<span>IsAnomalous: ${result.IsAnomalous} · Confidence: ${result.Confidence.toFixed(4)}</span>` +
      `<small>${ms.toFixed(0)} ms in the worker</small>`;
    $('anomalies').replaceChildren(...anomalyTypes(result).map((a) => {
      const li = document.createElement('li');
      li.dataset.name = a.Name;
      li.innerHTML = `<span class="swatch" style="background:${a.PixelAnomaly.Color}"></span>` +
        `<b>${escapeHtml(a.Name)}</b> ${(a.PixelAnomaly.TotalPercentageArea * 100).toFixed(2)}% of the image · ${a.PixelAnomaly.Color}`;
      return li;
    }));
    if (result.Anomalies && anomalyTypes(result).length === 0) {
      const li = document.createElement('li');
      li.textContent = 'No anomaly types found.';
      $('anomalies').replaceChildren(li);
    }
  }

  async function inspectFile(file) {
    if (!/\.(png|jpe?g)$/i.test(file.name) && !/^image\/(png|jpeg)$/.test(file.type)) {
      setStatus(`${file.name}: only PNG and JPEG images can be inspected`, 'error');
      return;
    }
    // Decoded as the core decodes it: no EXIF rotation, so the mask lines up.
    const image = await createImageBitmap(file, { imageOrientation: 'none' }).catch(() => null);
    if (!image) {
      setStatus(`${file.name}: not a readable image`, 'error');
      return;
    }
    // A pasted image may have no name: the worker takes the type from it.
    const named = file.name ? file : new File([file], file.type === 'image/png' ? 'pasted.png' : 'pasted.jpg');
    await inspect({ file: named }, image);
    document.getElementById('inspect').scrollIntoView({ block: 'nearest' });
  }

  $('pick-image').addEventListener('change', (e) => {
    if (e.target.files[0]) inspectFile(e.target.files[0]);
    e.target.value = '';
  });
  $('opacity').addEventListener('input', () => {
    if (inspected) drawOverlay($('picture'), inspected.image, inspected.layer, Number($('opacity').value));
  });
  document.addEventListener('paste', (e) => {
    const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
    if (file) inspectFile(file);
  });

  $('camera').addEventListener('click', async () => {
    if (stream) {
      stream.getTracks().forEach((t) => t.stop());
      stream = null;
      $('video').hidden = true;
      $('capture').hidden = true;
      $('camera').textContent = 'Use camera';
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: false });
      $('video').srcObject = stream;
      $('video').hidden = false;
      await $('video').play();
      $('capture').hidden = false;
      $('camera').textContent = 'Stop camera';
    } catch (error) {
      setStatus(`Camera not available: ${error.message}`, 'error');
    }
  });
  $('capture').addEventListener('click', async () => {
    const video = $('video');
    const frame = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const context = frame.getContext('2d', { willReadFrequently: true });
    context.drawImage(video, 0, 0);
    const pixels = context.getImageData(0, 0, frame.width, frame.height);
    await inspect({ pixels: { data: pixels.data, width: pixels.width, height: pixels.height } }, frame);
  });

  // Drops: on the project area a project, on the inspection area an image.
  for (const zone of [$('project'), $('inspect')]) {
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('dragging');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
    zone.addEventListener('drop', async (e) => {
      e.preventDefault();
      zone.classList.remove('dragging');
      if (zone.id === 'inspect') {
        if (e.dataTransfer.files[0]) inspectFile(e.dataTransfer.files[0]);
      } else {
        addFiles(await droppedRecords(e.dataTransfer));
      }
    });
  }
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
