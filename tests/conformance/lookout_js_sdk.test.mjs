// Conformance on the AWS SDK for JavaScript v3: `@aws-sdk/client-lookoutvision`
// (pinned in package.json) against `anomalens serve`, with only the endpoint
// changed. Every one of the 22 operations on its success path and on an error
// path, auth rejections, the SDK's paginators and ClientToken idempotency;
// errors must arrive as the SDK's own exception classes with
// $metadata.httpStatusCode and a RequestId.
//
// Run by CTest (lookout_conformance_js):
//   ANOMALENS_CLI=build/native/anomalens node --test tests/conformance/lookout_js_sdk.test.mjs
// Without the package (npm ci) it skips with a message, and fails when CI=true.
// One server and one model trained on the small synthetic set serve every case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = process.env.ANOMALENS_CLI || join(repo, 'build', 'native', 'anomalens');
const ACCESS_KEY = 'AKIDANOMALENSTEST';
const SECRET_KEY = 'anomalens/test+secret';
const REGION = 'us-east-1';

// Isolation: a temporary HOME and no AWS_* settings, never the user's ~/.aws.
const home = mkdtempSync(join(tmpdir(), 'anomalens-js-sdk-home-'));
process.env.HOME = home;
for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name];

let sdk = null;
let sdkVersion = '';
let skip = false;
try {
  sdk = await import('@aws-sdk/client-lookoutvision');
  sdkVersion = createRequire(import.meta.url)('@aws-sdk/client-lookoutvision/package.json').version;
} catch (e) {
  skip = `@aws-sdk/client-lookoutvision is not installed (npm ci at the repository root): ${e.message}`;
}
if (!skip && !existsSync(cli)) skip = `anomalens CLI not built at ${cli}; run tools/build`;
if (skip && process.env.CI === 'true') throw new Error(`CI=true but ${skip}`);
if (skip) console.error(`skipped: ${skip}`);

// (operation, outcome) for every call, the paginators' too: outcome is 'ok'
// or the exception's name.
const calls = new Map();
function record(commandName, outcome) {
  const key = `${commandName.replace(/Command$/, '')}|${outcome}`;
  calls.set(key, (calls.get(key) || 0) + 1);
}

let root, server, endpoint, synth, client;

function makeClient({ accessKeyId = ACCESS_KEY, secretAccessKey = SECRET_KEY, region = REGION } = {}) {
  const c = new sdk.LookoutVisionClient({ endpoint, region, credentials: { accessKeyId, secretAccessKey },
                                          maxAttempts: 1 });
  c.middlewareStack.add((next, context) => async (args) => {
    try {
      const out = await next(args);
      record(context.commandName, 'ok');
      return out;
    } catch (e) {
      record(context.commandName, e.name);
      throw e;
    }
  }, { step: 'initialize', name: 'anomalensConformanceRecord' });
  return c;
}

const call = (Command, input, c = client) => c.send(new sdk[`${Command}Command`](input));

// The call must fail with the SDK's exception class `Exception`, that HTTP
// status and a request id; returns the error.
async function rejects(Command, input, Exception, status, c = client) {
  let error = null;
  try {
    await call(Command, input, c);
  } catch (e) {
    error = e;
  }
  assert.ok(error, `${Command} should have failed with ${Exception}`);
  assert.ok(error instanceof sdk[Exception], `${Command}: ${error.name} (${error.message}) is not an ${Exception}`);
  assert.ok(error instanceof sdk.LookoutVisionServiceException, `${Command}: not a LookoutVisionServiceException`);
  assert.equal(error.name, Exception);
  assert.equal(error.$metadata.httpStatusCode, status, `${Command}: ${error.message}`);
  assert.match(error.$metadata.requestId || '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, `${Command}: RequestId`);
  assert.ok(error.message.length > 0);
  return error;
}

async function waitStatus(project, version, done, seconds = 600) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const d = (await call('DescribeModel', { ProjectName: project, ModelVersion: version })).ModelDescription;
    if (done.includes(d.Status)) return d;
    if (Date.now() > deadline) throw new Error(`model ${project}/${version} still ${d.Status} after ${seconds} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function collect(paginator) {
  const pages = [];
  for await (const page of paginator) pages.push(page);
  return pages;
}

before(async () => {
  if (skip) return;
  root = mkdtempSync(join(tmpdir(), 'anomalens-js-sdk-'));
  synth = join(root, 'synth');
  const s = spawnSync(cli, ['synth', '--output', synth], { encoding: 'utf8' });
  assert.equal(s.status, 0, s.stderr);
  mkdirSync(join(root, 'out'));
  const credentials = join(root, 'credentials');
  writeFileSync(credentials, `[default]\naws_access_key_id = ${ACCESS_KEY}\naws_secret_access_key = ${SECRET_KEY}\n`);
  // --quick-training, as the python suite's servers: CreateModel trains the
  // default configuration, whose answers on the synthetic set this suite
  // asserts; the configuration search is measured by bench/search-vs-reality.
  server = spawn(cli, ['serve', '--data-dir', join(root, 'data'), '--port', '0', '--credentials', credentials,
                       '--bucket', `synth=${synth}`, '--bucket', `out=${join(root, 'out')}`, '--quick-training'],
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
  client = makeClient();
});

after(() => {
  if (server) server.kill('SIGTERM');
  if (root) rmSync(root, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  if (skip) return;
  const ops = new Set(), ok = new Set(), errors = new Set();
  let errorResponses = 0;
  for (const [key, n] of calls) {
    const [op, outcome] = key.split('|');
    ops.add(op);
    if (outcome === 'ok') ok.add(op);
    else {
      errors.add(`${op}:${outcome}`);
      errorResponses += n;
    }
  }
  console.error(`conformance [js: @aws-sdk/client-lookoutvision ${sdkVersion}]: ${ops.size} operations called, ` +
                `${ok.size} on their success path; ${errors.size} distinct (operation, error) cases, ` +
                `${errorResponses} error responses in all`);
  console.error(`  success: ${[...ok].sort().join(', ')}`);
  console.error(`  errors:  ${[...errors].sort().join(', ')}`);
});

const project = 'js-sdk';
let version, modelArn;

test('projects: create (ClientToken idempotent), describe, list with the paginator', { skip }, async () => {
  const first = await call('CreateProject', { ProjectName: project, ClientToken: 'js-project-1' });
  const again = await call('CreateProject', { ProjectName: project, ClientToken: 'js-project-1' });
  assert.equal(first.ProjectMetadata.ProjectName, project);
  assert.equal(again.ProjectMetadata.ProjectArn, first.ProjectMetadata.ProjectArn);
  assert.ok(first.ProjectMetadata.CreationTimestamp instanceof Date);
  await rejects('CreateProject', { ProjectName: project }, 'ConflictException', 409);
  for (let i = 0; i < 4; ++i) await call('CreateProject', { ProjectName: `js-page-${i}` });
  const d = (await call('DescribeProject', { ProjectName: project })).ProjectDescription;
  assert.equal(d.ProjectArn, first.ProjectMetadata.ProjectArn);
  const pages = await collect(sdk.paginateListProjects({ client, pageSize: 2 }, {}));
  assert.equal(pages.length, 3);
  assert.deepEqual(pages.flatMap((p) => p.Projects.map((x) => x.ProjectName)).sort(),
                   [project, 'js-page-0', 'js-page-1', 'js-page-2', 'js-page-3'].sort());
  await rejects('ListProjects', { NextToken: 'bm90LWEtdG9rZW4=' }, 'ValidationException', 400);
  await rejects('DescribeProject', { ProjectName: 'no-such-project' }, 'ResourceNotFoundException', 404);
  for (let i = 0; i < 4; ++i) await call('DeleteProject', { ProjectName: `js-page-${i}` });
  await rejects('DeleteProject', { ProjectName: 'js-page-0' }, 'ResourceNotFoundException', 404);
});

test('datasets: create, describe, list entries with the paginator, update', { skip }, async () => {
  for (const kind of ['train', 'test']) {
    const r = await call('CreateDataset', { ProjectName: project, DatasetType: kind, DatasetSource: {
      GroundTruthManifest: { S3Object: { Bucket: 'synth', Key: `${kind}.manifest` } } } });
    assert.equal(r.$metadata.httpStatusCode, 202);
    assert.equal(r.DatasetMetadata.DatasetType, kind);
  }
  await rejects('CreateDataset', { ProjectName: 'no-such-project', DatasetType: 'train', DatasetSource: {
    GroundTruthManifest: { S3Object: { Bucket: 'synth', Key: 'train.manifest' } } } }, 'ResourceNotFoundException', 404);
  const stats = (await call('DescribeDataset', { ProjectName: project, DatasetType: 'train' }))
    .DatasetDescription.ImageStats;
  assert.deepEqual(stats, { Total: 34, Labeled: 34, Normal: 24, Anomaly: 10 });
  await rejects('DescribeDataset', { ProjectName: 'no-such-project', DatasetType: 'train' },
                'ResourceNotFoundException', 404);
  const pages = await collect(sdk.paginateListDatasetEntries({ client, pageSize: 7 },
                                                             { ProjectName: project, DatasetType: 'train' }));
  const entries = pages.flatMap((p) => p.DatasetEntries.map((e) => JSON.parse(e)));
  assert.equal(pages.length, 5);
  assert.equal(entries.length, 34);
  const normal = await call('ListDatasetEntries', { ProjectName: project, DatasetType: 'train', AnomalyClass: 'normal' });
  assert.equal(normal.DatasetEntries.length, 24);
  await rejects('ListDatasetEntries', { ProjectName: 'no-such-project', DatasetType: 'train' },
                'ResourceNotFoundException', 404);
  // Relabel one normal image as anomalous, with a ClientToken sent twice.
  const relabel = entries.find((e) => e['anomaly-label'] === 0);
  relabel['anomaly-label'] = 1;
  relabel['anomaly-label-metadata']['class-name'] = 'anomaly';
  const Changes = new TextEncoder().encode(JSON.stringify(relabel) + '\n');
  for (let i = 0; i < 2; ++i) {
    const u = await call('UpdateDatasetEntries', { ProjectName: project, DatasetType: 'train', Changes,
                                                   ClientToken: 'js-update-1' });
    assert.equal(u.Status, 'UPDATE_COMPLETE');
  }
  await rejects('UpdateDatasetEntries', { ProjectName: project, DatasetType: 'train',
                                          Changes: new TextEncoder().encode('not json') }, 'ValidationException', 400);
});

test('models: create (ClientToken idempotent), train, list, start, detect, stop', { skip }, async () => {
  const input = { ProjectName: project, Description: 'js-sdk', ClientToken: 'js-model-1',
                  OutputConfig: { S3Location: { Bucket: 'out', Prefix: 'js/' } }, Tags: [{ Key: 'sdk', Value: 'js' }] };
  const model = (await call('CreateModel', input)).ModelMetadata;
  const again = (await call('CreateModel', input)).ModelMetadata;
  assert.equal(again.ModelVersion, model.ModelVersion);
  assert.equal(model.Status, 'TRAINING');
  version = model.ModelVersion;
  modelArn = model.ModelArn;
  await rejects('CreateModel', { ProjectName: project, OutputConfig: { S3Location: { Bucket: 'unmapped' } } },
                'ValidationException', 400);
  const d = await waitStatus(project, version, ['TRAINED', 'TRAINING_FAILED']);
  assert.equal(d.Status, 'TRAINED', d.StatusMessage);
  assert.deepEqual(Object.keys(d.Performance).sort(), ['F1Score', 'Precision', 'Recall']);
  await rejects('DescribeModel', { ProjectName: project, ModelVersion: '99' }, 'ResourceNotFoundException', 404);
  const listed = await collect(sdk.paginateListModels({ client, pageSize: 1 }, { ProjectName: project }));
  assert.deepEqual(listed.flatMap((p) => p.Models.map((m) => m.ModelVersion)), [version]);
  await rejects('ListModels', { ProjectName: 'no-such-project' }, 'ResourceNotFoundException', 404);

  const image = readFileSync(join(synth, 'images', 'anomaly-1.png'));
  await rejects('DetectAnomalies', { ProjectName: project, ModelVersion: version, ContentType: 'image/png',
                                     Body: image }, 'ConflictException', 409);
  await rejects('StopModel', { ProjectName: project, ModelVersion: version }, 'ConflictException', 409);
  const start = await call('StartModel', { ProjectName: project, ModelVersion: version, MinInferenceUnits: 1,
                                           ClientToken: 'js-start-1' });
  assert.equal(start.Status, 'STARTING_HOSTING');
  await rejects('StartModel', { ProjectName: project, ModelVersion: '99', MinInferenceUnits: 1 },
                'ResourceNotFoundException', 404);
  assert.equal((await waitStatus(project, version, ['HOSTED', 'HOSTING_FAILED'])).Status, 'HOSTED');
  const result = (await call('DetectAnomalies', { ProjectName: project, ModelVersion: version,
                                                   ContentType: 'image/png', Body: image })).DetectAnomalyResult;
  assert.equal(result.IsAnomalous, true);
  assert.deepEqual(result.Source, { Type: 'direct' });
  const normal = readFileSync(join(synth, 'images', 'normal-1.png'));
  assert.equal((await call('DetectAnomalies', { ProjectName: project, ModelVersion: version,
                                                 ContentType: 'image/png', Body: normal })).DetectAnomalyResult
    .IsAnomalous, false);
  await rejects('DetectAnomalies', { ProjectName: project, ModelVersion: version, ContentType: 'image/png',
                                     Body: new TextEncoder().encode('not an image') }, 'ValidationException', 400);
  await rejects('DeleteModel', { ProjectName: project, ModelVersion: version }, 'ConflictException', 409);
  assert.equal((await call('StopModel', { ProjectName: project, ModelVersion: version })).Status, 'STOPPING_HOSTING');
  assert.equal((await waitStatus(project, version, ['TRAINED'])).Status, 'TRAINED');
});

test('model packaging: start, describe, list with the paginator', { skip }, async () => {
  const Configuration = { Greengrass: { ComponentName: 'js.inspection', ComponentVersion: '1.0.0',
                                        TargetPlatform: { Os: 'LINUX', Arch: 'X86_64' },
                                        S3OutputLocation: { Bucket: 'out', Prefix: 'packages/' } } };
  const job = (await call('StartModelPackagingJob', { ProjectName: project, ModelVersion: version,
                                                      JobName: 'js-pack-1', Configuration })).JobName;
  assert.equal(job, 'js-pack-1');
  await rejects('StartModelPackagingJob', { ProjectName: project, ModelVersion: version, JobName: 'js-pack-1',
                                            Configuration }, 'ConflictException', 409);
  const deadline = Date.now() + 120000;
  let pj;
  for (;;) {
    pj = (await call('DescribeModelPackagingJob', { ProjectName: project, JobName: job })).ModelPackagingDescription;
    if (!['CREATED', 'RUNNING'].includes(pj.Status) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(pj.Status, 'SUCCEEDED', pj.StatusMessage);
  await rejects('DescribeModelPackagingJob', { ProjectName: project, JobName: 'no-such-job' },
                'ResourceNotFoundException', 404);
  const pages = await collect(sdk.paginateListModelPackagingJobs({ client, pageSize: 1 }, { ProjectName: project }));
  assert.deepEqual(pages.flatMap((p) => p.ModelPackagingJobs.map((j) => j.JobName)), ['js-pack-1']);
  await rejects('ListModelPackagingJobs', { ProjectName: 'no-such-project' }, 'ResourceNotFoundException', 404);
});

test('tags: tag, list, untag; quota and unknown resources', { skip }, async () => {
  assert.deepEqual((await call('ListTagsForResource', { ResourceArn: modelArn })).Tags, [{ Key: 'sdk', Value: 'js' }]);
  await call('TagResource', { ResourceArn: modelArn, Tags: [{ Key: 'team', Value: 'qa' }] });
  await call('UntagResource', { ResourceArn: modelArn, TagKeys: ['sdk'] });
  assert.deepEqual((await call('ListTagsForResource', { ResourceArn: modelArn })).Tags, [{ Key: 'team', Value: 'qa' }]);
  const quota = await rejects('TagResource', { ResourceArn: modelArn,
    Tags: Array.from({ length: 200 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) }, 'ServiceQuotaExceededException', 402);
  assert.equal(quota.QuotaCode, 'tags-per-resource');
  const missing = modelArn + '9';
  await rejects('TagResource', { ResourceArn: missing, Tags: [{ Key: 'a', Value: 'b' }] }, 'ResourceNotFoundException', 404);
  await rejects('UntagResource', { ResourceArn: missing, TagKeys: ['a'] }, 'ResourceNotFoundException', 404);
  await rejects('ListTagsForResource', { ResourceArn: missing }, 'ResourceNotFoundException', 404);
});

test('auth: wrong secret, unknown key and another region are AccessDeniedException', { skip }, async () => {
  await rejects('ListProjects', {}, 'AccessDeniedException', 403, makeClient({ secretAccessKey: 'wrong' }));
  await rejects('ListProjects', {}, 'AccessDeniedException', 403, makeClient({ accessKeyId: 'AKIDUNKNOWN' }));
  const e = await rejects('ListProjects', {}, 'AccessDeniedException', 403, makeClient({ region: 'eu-west-1' }));
  assert.match(e.message, /signed for region 'eu-west-1'/);
});

test('deletes, then every operation has been seen on its success and an error path', { skip }, async () => {
  assert.equal((await call('DeleteModel', { ProjectName: project, ModelVersion: version })).ModelArn, modelArn);
  await rejects('DeleteModel', { ProjectName: project, ModelVersion: version }, 'ResourceNotFoundException', 404);
  await call('DeleteDataset', { ProjectName: project, DatasetType: 'test', ClientToken: 'js-delete-test' });
  await call('DeleteDataset', { ProjectName: project, DatasetType: 'test', ClientToken: 'js-delete-test' });
  await call('DeleteDataset', { ProjectName: project, DatasetType: 'train' });
  await rejects('DeleteDataset', { ProjectName: project, DatasetType: 'train' }, 'ResourceNotFoundException', 404);
  await call('DeleteProject', { ProjectName: project });

  const every = Object.keys(sdk).filter((k) => /^[A-Z]\w+Command$/.test(k))
    .map((k) => k.replace(/Command$/, ''));
  assert.equal(every.length, 22);
  const ok = new Set(), failed = new Set();
  for (const key of calls.keys()) {
    const [op, outcome] = key.split('|');
    (outcome === 'ok' ? ok : failed).add(op);
  }
  assert.deepEqual(every.filter((op) => !ok.has(op)), [], 'operations never called successfully');
  assert.deepEqual(every.filter((op) => !failed.has(op)), [], 'operations never seen failing');
});
