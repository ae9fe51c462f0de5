// Running out of WebAssembly memory (issue 16): the module can grow to the 4 GB
// wasm32 addresses and no further; past that the npm package throws a named
// error (code WASM_OUT_OF_MEMORY) instead of a bare "RuntimeError: Aborted()",
// and the instance, whose module cannot run again, says so on every later call.
//
// No image or model asks for that much memory cheaply (the decoders check
// sizes first), so the failing requests come from the bindings' test-only
// allocateForTesting(bytes, count) (wasm/bindings.cc), reached through the
// package's internal module handle. They take the path a real one takes
// (malloc returns null, the bindings' operator new notes the request and
// aborts) at once: nothing touches the blocks, so the memory grows to 4 GB
// without using the machine's.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { encodePngRgba, NPM_DIR, patternRgba, skipReason, stagePackage } from './wasm_support.mjs';

const skip = skipReason({ cli: false });

describe('out of WebAssembly memory (npm package)', { skip }, () => {
  let api;
  const [width, height] = [96, 72];
  const image = { Body: encodePngRgba(patternRgba(width, height), width, height), ContentType: 'image/png' };

  before(async () => {
    stagePackage();
    api = await import(pathToFileURL(join(NPM_DIR, 'index.mjs')).href);
  });

  const instanceAborted = (e) => {
    assert.equal(e.code, 'WASM_INSTANCE_ABORTED', e.message);
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.match(e.message, /^anomalens: this Anomalens instance cannot be used again: it ran out of WebAssembly memory earlier \(WASM_OUT_OF_MEMORY\)\. Create a new one/);
    assert.equal(e.cause?.code, 'WASM_OUT_OF_MEMORY');
    return true;
  };

  test('a request beyond 4 GB is a named error; the instance then refuses every call, and a new one works', async () => {
    const lv = await api.Anomalens.create();
    const images = [0, 1, 2, 3].map((shift) => ({
      Body: encodePngRgba(patternRgba(width, height).map((v, i) => (i % 4 === 3 ? v : v + shift * 9)), width, height),
      ContentType: 'image/png', Label: 'normal' }));
    const modelBytes = await lv.train(images, { quick: true });
    const model = await lv.loadModel(modelBytes);
    const answer = model.detectAnomaliesJson(image);

    lv._module.allocateForTesting(2 ** 20, 1);  // what fits is no error
    // Three blocks of 1.5 GiB: the third is past 4 GB.
    assert.throws(() => lv._module.allocateForTesting(1.5 * 2 ** 30, 3), (e) => {
      assert.ok(e instanceof Error);
      assert.equal(e.code, 'WASM_OUT_OF_MEMORY', e.message);
      assert.equal(e.name, 'ServiceQuotaExceededException');
      assert.match(e.message, /^anomalens: out of WebAssembly memory: this needed more than the 4 GB a wasm32 module can address \(or than this runtime lets it grow to; a request for 1536 MiB, 3\d{3} MiB in use, in 3\d{3} MiB of memory\); train on fewer or smaller images \(a smaller shortSide option, the CLI's --resolution\), load fewer models at once, or use the native CLI/);
      assert.match(e.message, /This Anomalens instance cannot be used again: create a new one/);
      assert.ok(e.cause instanceof WebAssembly.RuntimeError, 'the abort is kept as the cause');
      return true;
    });

    // Every later call on the instance and its models, without entering the module.
    assert.throws(() => lv.parseManifest(''), instanceAborted);
    assert.throws(() => lv.memoryBytes, instanceAborted);
    assert.throws(() => model.detectAnomaliesJson(image), instanceAborted);
    await assert.rejects(lv.loadModel(modelBytes), instanceAborted);
    await assert.rejects(lv.train(images, { quick: true }), instanceAborted);
    await assert.rejects(model.evaluate([{ ...image, Label: 'normal' }]), instanceAborted);
    // dispose() lets go of it without calling in.
    lv.dispose();
    assert.throws(() => lv.parseManifest(''), { name: 'ResourceNotFoundException', message: /has been disposed/ });

    const next = await api.Anomalens.create();
    try {
      assert.equal((await next.loadModel(modelBytes)).detectAnomaliesJson(image), answer);
    } finally {
      next.dispose();
    }
  });

  test('inputs the module could never copy in are refused by their length, and the instance goes on', async () => {
    const lv = await api.Anomalens.create();
    try {
      const images = [0, 1].map((shift) => ({
        Body: encodePngRgba(patternRgba(width, height).map((v, i) => (i % 4 === 3 ? v : v + shift * 9)), width, height),
        ContentType: 'image/png', Label: 'normal' }));
      const model = await lv.loadModel(await lv.train([...images, ...images, ...images], { quick: true }));
      const answer = model.detectAnomaliesJson(image);
      // 2 GiB and 3 GiB of zeros: V8 maps them lazily, so the machine's memory is not touched.
      const huge = new Uint8Array(2 ** 31);
      await assert.rejects(lv.loadModel(huge), {
        name: 'ServiceQuotaExceededException',
        message: /model is 2147483648 bytes; the WebAssembly module takes at most 2147483647 bytes \(2 GiB - 1\) in one input: use the native CLI/,
      });
      assert.throws(() => lv.describeModel(huge), { name: 'ServiceQuotaExceededException', message: /model is 2147483648 bytes/ });
      assert.throws(() => model.detectAnomaliesJson({ Body: new Uint8Array(3 * 2 ** 30), ContentType: 'image/png' }), {
        name: 'ValidationException', message: /image is 3221225472 bytes; the limit is 8388608 bytes \(8 MB\)/ });
      assert.equal(model.detectAnomaliesJson(image), answer);
    } finally {
      lv.dispose();
    }
  });

  test('a block of 2 GB at once is out of memory too, and says why', async () => {
    const lv = await api.Anomalens.create();
    try {
      assert.throws(() => lv._module.allocateForTesting(2 ** 31, 1), {
        code: 'WASM_OUT_OF_MEMORY',
        message: /^anomalens: out of WebAssembly memory: this needed a block of 2048 MiB at once \(a wasm32 module's allocator grows by less than 2 GB at a time, to 4 GB in all; \d+ MiB in use, in \d+ MiB of memory\); train on fewer/,
      });
      assert.throws(() => lv.heapBytesInUse, { code: 'WASM_INSTANCE_ABORTED' });
    } finally {
      lv.dispose();
    }
  });
});
