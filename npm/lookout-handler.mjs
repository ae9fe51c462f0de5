// An in-process request handler for the AWS SDK for JavaScript v3's
// LookoutVisionClient: DetectAnomalies, DescribeModel and ListModels answered
// from models loaded in WebAssembly, with no endpoint and no server.
//
//   import { LookoutVisionClient, DetectAnomaliesCommand } from '@aws-sdk/client-lookoutvision';
//   const lv = await Anomalens.create();
//   const model = await lv.loadModel(modelBytes);
//   const client = new LookoutVisionClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
//                                            requestHandler: lookoutHandler({ models: { 'cookies/1': model } }) });
//   await client.send(new DetectAnomaliesCommand({ ProjectName: 'cookies', ModelVersion: '1', ContentType, Body }));
//
// DetectAnomalies' body is the core's serializer output, the bytes
// `anomalens serve` and `anomalens detect` give for the same model and image
// (with serve's --backend portable). Other operations get a
// ValidationException naming the three that are answered here.

const SUPPORTED = 'DetectAnomalies, DescribeModel and ListModels';
// Lookout's exceptions and their HTTP status (the service model's).
const STATUS = { ValidationException: 400, ServiceQuotaExceededException: 402, AccessDeniedException: 403,
                 ResourceNotFoundException: 404, ConflictException: 409, ThrottlingException: 429,
                 InternalServerException: 500 };

function lookoutError(name, message) {
  const error = new Error(message);
  error.name = name;
  return error;
}

// { 'project/version': model } or a Map of the same -> Map project -> Map version -> model.
function modelTable(models) {
  if (models == null || typeof models !== 'object') {
    throw lookoutError('ValidationException', "lookoutHandler needs { models: { 'project/version': AnomalensModel } }");
  }
  const entries = models instanceof Map ? [...models] : Object.entries(models);
  const table = new Map();
  for (const [key, model] of entries) {
    const m = /^([a-zA-Z0-9][a-zA-Z0-9_-]{0,254})\/([1-9][0-9]{0,9})$/.exec(String(key));
    if (!m) {
      throw lookoutError('ValidationException',
                         `lookoutHandler: model key '${key}' must be 'project/version' (a Lookout project name and a version number)`);
    }
    if (typeof model?.detectAnomaliesJson !== 'function') {
      throw lookoutError('ValidationException', `lookoutHandler: '${key}' is not a model from Anomalens#loadModel`);
    }
    if (!table.has(m[1])) table.set(m[1], new Map());
    table.get(m[1]).set(m[2], model);
  }
  return table;
}

let requestCounter = 0;
const startSeconds = Math.floor(Date.now() / 1000);
// The server's request id form: its start time and a counter, in hex.
const nextRequestId = () =>
  `${(startSeconds >>> 0).toString(16).padStart(8, '0')}-${(++requestCounter).toString(16).padStart(16, '0')}`;

const encoder = new TextEncoder();

function response(statusCode, body, errorType) {
  const headers = { 'content-type': 'application/json', 'x-amzn-requestid': nextRequestId() };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  headers['content-length'] = String(bytes.length);
  return { response: { statusCode, reason: '', headers, body: bytes } };
}

function headerOf(headers, name) {
  for (const [key, value] of Object.entries(headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

function bodyBytes(body) {
  if (body == null) return new Uint8Array(0);
  if (body instanceof Uint8Array) return body;
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (typeof body === 'string') return encoder.encode(body);
  throw lookoutError('ValidationException', 'lookoutHandler: the request body must be bytes (a Uint8Array)');
}

/**
 * A requestHandler for `new LookoutVisionClient({ requestHandler })`:
 * `models` maps 'project/version' to models from Anomalens#loadModel.
 * `region` and `account` form the ModelArn (defaults: 'us-east-1', the
 * server's '000000000000').
 */
export function lookoutHandler({ models, region = 'us-east-1', account = '000000000000' } = {}) {
  const table = modelTable(models);
  const arn = (project, version) => `arn:aws:lookoutvision:${region}:${account}:model/${project}/${version}`;
  const describe = (project, version) => ({ ModelVersion: version, ModelArn: arn(project, version), Status: 'HOSTED',
                                            StatusMessage: 'Hosted in-process by anomalens.lookoutHandler.' });
  const projectModels = (project) => {
    const versions = table.get(project);
    if (!versions) throw lookoutError('ResourceNotFoundException', `project '${project}' has no model given to lookoutHandler`);
    return versions;
  };
  const modelOf = (project, version) => {
    const versions = projectModels(project);
    const chosen = version === 'latest' ? String(Math.max(...[...versions.keys()].map(Number))) : version;
    const model = versions.get(chosen);
    if (!model) throw lookoutError('ResourceNotFoundException', `model ${project}/${version} was not given to lookoutHandler`);
    return [chosen, model];
  };

  function answer(request) {
    const method = String(request.method).toUpperCase();
    const parts = String(request.path).split('?')[0].split('/').filter(Boolean).map(decodeURIComponent);
    const inProject = parts.length >= 4 && parts[0] === '2020-11-20' && parts[1] === 'projects' && parts[3] === 'models';
    if (inProject && parts.length === 6 && parts[5] === 'detect' && method === 'POST') {
      const [, model] = modelOf(parts[2], parts[4]);
      const contentType = headerOf(request.headers, 'content-type') ?? '';
      return response(200, model.detectAnomaliesJson({ Body: bodyBytes(request.body), ContentType: contentType }));
    }
    if (inProject && parts.length === 5 && method === 'GET') {
      const [version] = modelOf(parts[2], parts[4]);
      return response(200, JSON.stringify({ ModelDescription: describe(parts[2], version) }));
    }
    if (inProject && parts.length === 4 && method === 'GET') {
      const versions = [...projectModels(parts[2]).keys()].sort((a, b) => Number(a) - Number(b));
      const Models = versions.map((v) => {
        const { ModelVersion, ModelArn, Status, StatusMessage } = describe(parts[2], v);
        return { ModelVersion, ModelArn, Status, StatusMessage };
      });
      return response(200, JSON.stringify({ Models }));
    }
    throw lookoutError('ValidationException',
                       `lookoutHandler answers ${SUPPORTED} in-process; ${method} ${request.path} is another ` +
                       'Lookout for Vision operation: send it to `anomalens serve` (an endpoint) instead');
  }

  return {
    metadata: { handlerProtocol: 'anomalens/in-process' },
    async handle(request) {
      try {
        return answer(request);
      } catch (error) {
        const name = error?.name in STATUS ? error.name : 'InternalServerException';
        return response(STATUS[name], JSON.stringify({ message: String(error?.message ?? error) }), name);
      }
    },
    // The SDK's handler interface: there is no connection to configure or close.
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}
