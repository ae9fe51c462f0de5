// anomalens.lookoutHandler: the same @aws-sdk/client-lookoutvision calls
// (DescribeModel, ListModels, DetectAnomalies) run once against
// `anomalens serve --backend portable` and once in-process through the
// handler with the model serve trained loaded in wasm; DetectAnomalies' HTTP
// body bytes must be identical. Other operations get the handler's
// ValidationException naming what it supports.
//
// Skips without the wasm build, the CLI or the SDK package (npm ci), and
// fails without them under CI=true.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLI, NPM_DIR, skipReason, stagePackage } from './wasm_support.mjs';

let skip = skipReason();
let sdk = null;
try {
  sdk = await import('@aws-sdk/client-lookoutvision');
} catch (e) {
  if (process.env.CI === 'true') throw new Error(`CI=true but @aws-sdk/client-lookoutvision is missing: ${e.message}`);
  skip ||= `@aws-sdk/client-lookoutvision is not installed (npm ci): ${e.message}`;
}
const credentials = { accessKeyId: 'AKIDINPROCESS', secretAccessKey: 'in-process' };
const project = 'handler';

// The JS under test, run on either client: returns the DetectAnomalies HTTP
// bodies (raw bytes, captured below the SDK's deserializer) and parsed calls.
async function lookoutCalls(client, images) {
  const bodies = [];
  client.middlewareStack.add((next) => async (args) => {
    const out = await next(args);
    const chunks = [];
    const body = out.response.body;
    if (body instanceof Uint8Array) chunks.push(body);
    else for await (const chunk of body) chunks.push(chunk);
    const bytes = new Uint8Array(Buffer.concat(chunks));
    out.response.body = bytes;
    if (args.input?.Body !== undefined) bodies.push(Buffer.from(bytes));
    return out;
  }, { step: 'deserialize', priority: 'low', name: 'captureRawBody' });
  const described = (await client.send(new sdk.DescribeModelCommand({ ProjectName: project, ModelVersion: '1' })))
    .ModelDescription;
  const listed = (await client.send(new sdk.ListModelsCommand({ ProjectName: project }))).Models;
  const results = [];
  const times = [];
  for (const [ContentType, Body] of images) {
    const start = performance.now();
    const out = await client.send(new sdk.DetectAnomaliesCommand({ ProjectName: project, ModelVersion: '1', ContentType,
                                                                   Body }));
    times.push(performance.now() - start);
    results.push(out.DetectAnomalyResult);
  }
  return { described, listed, results, bodies, times };
}

let root, server, endpoint, synth, lv, model;

before(async () => {
  if (skip) return;
  stagePackage();
  root = mkdtempSync(join(tmpdir(), 'anomalens-handler-'));
  synth = join(root, 'synth');
  let r = spawnSync(CLI, ['synth', '--output', synth], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  mkdirSync(join(root, 'out'));
  server = spawn(CLI, ['serve', '--data-dir', join(root, 'data'), '--port', '0', '--no-auth', '--backend', 'portable',
                       '--bucket', `synth=${synth}`, '--bucket', `out=${join(root, 'out')}`],
                 { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  endpoint = await new Promise((resolve, reject) => {
    server.stderr.on('data', (d) => {
      stderr += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(stderr);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`anomalens serve exited ${code}: ${stderr}`)));
  });
  const c = new sdk.LookoutVisionClient({ endpoint, region: 'us-east-1', credentials });
  await c.send(new sdk.CreateProjectCommand({ ProjectName: project }));
  await c.send(new sdk.CreateDatasetCommand({ ProjectName: project, DatasetType: 'train', DatasetSource: {
    GroundTruthManifest: { S3Object: { Bucket: 'synth', Key: 'train.manifest' } } } }));
  await c.send(new sdk.CreateModelCommand({ ProjectName: project, OutputConfig: { S3Location: { Bucket: 'out' } } }));
  const wait = async (done) => {
    for (let i = 0; i < 1200; ++i) {
      const d = (await c.send(new sdk.DescribeModelCommand({ ProjectName: project, ModelVersion: '1' }))).ModelDescription;
      if (done.includes(d.Status)) return d;
      await new Promise((res) => setTimeout(res, 300));
    }
    throw new Error('model did not reach ' + done);
  };
  assert.equal((await wait(['TRAINED', 'TRAINING_FAILED'])).Status, 'TRAINED');
  await c.send(new sdk.StartModelCommand({ ProjectName: project, ModelVersion: '1', MinInferenceUnits: 1 }));
  await wait(['HOSTED']);
  const { Anomalens } = await import(join(NPM_DIR, 'index.mjs'));
  lv = await Anomalens.create();
  model = await lv.loadModel(readFileSync(join(root, 'data', 'models', project, '1', 'model.anml')));
});

after(() => {
  lv?.dispose();
  if (server) server.kill('SIGTERM');
  if (root) rmSync(root, { recursive: true, force: true });
});

test('the same SDK calls give the same DetectAnomalies bytes from serve and in-process', { skip }, async () => {
  const { lookoutHandler } = await import(join(NPM_DIR, 'index.mjs'));
  const images = [['image/png', readFileSync(join(synth, 'images', 'anomaly-1.png'))],
                  ['image/png', readFileSync(join(synth, 'images', 'normal-1.png'))]];
  const remote = await lookoutCalls(new sdk.LookoutVisionClient({ endpoint, region: 'us-east-1', credentials }), images);
  const local = await lookoutCalls(new sdk.LookoutVisionClient({
    region: 'us-east-1', credentials, requestHandler: lookoutHandler({ models: { [`${project}/1`]: model } }) }), images);
  assert.equal(local.bodies.length, 2);
  for (let i = 0; i < images.length; ++i) {
    assert.ok(local.bodies[i].equals(remote.bodies[i]), `DetectAnomalies bytes differ for image ${i}`);
  }
  assert.deepEqual(local.results, remote.results);
  assert.equal(local.results[0].IsAnomalous, true);
  assert.equal(local.results[1].IsAnomalous, false);
  assert.equal(local.described.ModelArn, remote.described.ModelArn);
  assert.equal(local.described.Status, 'HOSTED');
  assert.deepEqual(local.listed.map((m) => m.ModelVersion), ['1']);
  console.error(`lookoutHandler: DetectAnomalies bytes identical to serve --backend portable on ${images.length} ` +
                `images (${remote.bodies.map((b) => b.length).join(', ')} bytes); in-process detect ` +
                `${local.times.map((t) => t.toFixed(1)).join(', ')} ms, through serve ` +
                `${remote.times.map((t) => t.toFixed(1)).join(', ')} ms`);
});

test('other operations and unknown models get typed errors naming what is supported', { skip }, async () => {
  const { lookoutHandler } = await import(join(NPM_DIR, 'index.mjs'));
  const client = new sdk.LookoutVisionClient({ region: 'us-east-1', credentials,
                                               requestHandler: lookoutHandler({ models: { [`${project}/1`]: model } }) });
  await assert.rejects(client.send(new sdk.CreateProjectCommand({ ProjectName: 'x' })), (e) => {
    assert.ok(e instanceof sdk.ValidationException, e.name);
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.match(e.message, /answers DetectAnomalies, DescribeModel and ListModels in-process/);
    assert.match(e.$metadata.requestId, /^[0-9a-f]{8}-[0-9a-f]{16}$/);
    return true;
  });
  await assert.rejects(client.send(new sdk.DescribeModelCommand({ ProjectName: project, ModelVersion: '2' })), (e) => {
    assert.ok(e instanceof sdk.ResourceNotFoundException, e.name);
    assert.equal(e.$metadata.httpStatusCode, 404);
    return true;
  });
  await assert.rejects(client.send(new sdk.DetectAnomaliesCommand({ ProjectName: project, ModelVersion: '1',
                                                                     ContentType: 'image/png',
                                                                     Body: new TextEncoder().encode('not an image') })),
                       (e) => e instanceof sdk.ValidationException && e.$metadata.httpStatusCode === 400);
  assert.throws(() => lookoutHandler({ models: { 'no-version': model } }), /must be 'project\/version'/);
  assert.throws(() => lookoutHandler({ models: { 'p/1': {} } }), /not a model from Anomalens#loadModel/);
});
