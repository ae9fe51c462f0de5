'use strict';
// CommonJS entry. The implementation is the ES module index.mjs: every way
// into the API (Anomalens.create) is async, so it is imported on first use.
// The classes here stand in for index.mjs's (instanceof works with either).
let esm;
let loaded;
const load = () => (esm ??= import('./index.mjs').then((m) => (loaded = m)));

class Anomalens {
  /** Loads the WebAssembly module and the backbone: see index.d.ts. */
  static async create(options) {
    return (await load()).Anomalens.create(options);
  }

  static [Symbol.hasInstance](value) {
    return loaded !== undefined && value instanceof loaded.Anomalens;
  }
}

class AnomalensModel {
  static [Symbol.hasInstance](value) {
    return loaded !== undefined && value instanceof loaded.AnomalensModel;
  }
}

function isWebAssemblySimdSupported() {
  // The same probe as index.mjs: a function returning a v128 constant.
  const probe = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12,
                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11];
  return typeof WebAssembly === 'object' && WebAssembly.validate(new Uint8Array(probe));
}

// The in-process handler for @aws-sdk/client-lookoutvision (lookout-handler.mjs),
// imported on its first request; see index.d.ts.
function lookoutHandler(options) {
  let inner;
  const handler = () => (inner ??= import('./lookout-handler.mjs').then((m) => m.lookoutHandler(options)));
  return {
    metadata: { handlerProtocol: 'anomalens/in-process' },
    handle: async (request, handlerOptions) => (await handler()).handle(request, handlerOptions),
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

// The same list as index.mjs's DEFECT_FAMILIES (tests/js/wasm_selfcheck.test.mjs checks).
const DEFECT_FAMILIES = Object.freeze(['spot', 'scratch', 'cutpaste', 'texture', 'local-change', 'missing-piece', 'foreign-material']);

module.exports = { Anomalens, AnomalensModel, DEFECT_FAMILIES, isWebAssemblySimdSupported, lookoutHandler };
