// The page's side of worker.mjs: call(type, payload, onProgress) returns a
// promise of the answer. restart() replaces a worker that is stuck in a long
// synchronous step (cancelling during calibration), loading the model again.
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
      if (data.ok) call.resolve(data);
      else call.reject(Object.assign(new Error(data.error.message), { name: data.error.name }));
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
