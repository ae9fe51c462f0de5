// The page's side of worker.mjs: call(type, payload, onProgress) returns a
// promise of the answer. restart() replaces a worker that is stuck in a long
// synchronous step (cancelling during calibration) or whose module aborted
// (out of WebAssembly memory), loading the model again.
export class WorkerClient {
  #worker = null;
  #next = 1;
  #pending = new Map();
  #model = null; // the bytes of the loaded model, to reload after a restart
  ready;

  constructor() {
    this.#start();
  }

  #start() {
    this.#worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
    this.#worker.onmessage = ({ data }) => {
      const call = this.#pending.get(data.id);
      if (!call) return;
      if (data.progress) {
        call.onProgress?.(data.progress);
        return;
      }
      this.#pending.delete(data.id);
      if (data.ok) {
        call.resolve(data);
        return;
      }
      const { name, message, code } = data.error;
      // The package's module aborted (out of memory, or a bug): that Anomalens
      // instance cannot run again, so the page starts a new worker (with the
      // loaded model) and the next call works.
      const aborted = code === 'WASM_OUT_OF_MEMORY' || code === 'WASM_ABORTED';
      call.reject(Object.assign(new Error(aborted ? `${message} (The page has started a new one.)` : message), { name, code }));
      if (aborted) this.restart();
    };
    this.#worker.onerror = (event) => {
      for (const call of this.#pending.values()) call.reject(new Error(event.message || 'the worker failed'));
      this.#pending.clear();
    };
    this.ready = this.#post('init').then(async (answer) => {
      if (this.#model) await this.#post('load', { bytes: this.#model.slice() });
      return answer;
    });
  }

  // Calls wait for the worker to be ready (a restarted one, too).
  async call(type, payload = {}, onProgress = null, transfer = []) {
    await this.ready;
    return this.#post(type, payload, onProgress, transfer);
  }

  #post(type, payload = {}, onProgress = null, transfer = []) {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#worker.postMessage({ id, type, ...payload }, transfer);
    });
  }

  // Loads a model for detection (kept, so a restarted worker gets it back).
  async load(bytes) {
    await this.call('load', { bytes: bytes.slice() });
    this.#model = bytes;
  }

  remember(bytes) {
    this.#model = bytes;
  }

  restart() {
    this.#worker.terminate();
    const error = Object.assign(new Error('cancelled'), { name: 'AbortError' });
    for (const call of this.#pending.values()) call.reject(error);
    this.#pending.clear();
    this.#start();
    return this.ready;
  }
}
