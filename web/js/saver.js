// Saves every edit at once, per frame, and never drops one silently.
//
// save(frameId, version, instances) queues the frame's latest instances; one PUT per frame
// is in flight at a time and the newest state wins. Outcomes, as events:
//   'saved'    {frameId, version, state}  the server acknowledged (durable: one transaction)
//   'conflict' {frameId}                  409: someone else saved first; the edit is dropped
//                                         and the app reloads the frame and says so
//   'status'   {}                         pending count or reachability changed
// When the server cannot be reached the pending state is kept and retried with back-off
// (1 s doubling to 8 s); status() reports it so the UI can say so.

import * as api from './api.js';

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 8000;

export class Saver extends EventTarget {
  constructor() {
    super();
    this.entries = new Map(); // frameId -> {version, pending, inFlight, retryMs}
    this.offline = false;
  }

  save(frameId, version, instances) {
    let entry = this.entries.get(frameId);
    if (!entry) {
      entry = { version, pending: null, inFlight: false, retryMs: RETRY_MIN_MS, timer: null };
      this.entries.set(frameId, entry);
    }
    entry.pending = JSON.parse(JSON.stringify(instances));
    this.emit('status');
    if (!entry.inFlight && !entry.timer) this.flush(frameId, entry);
  }

  // The newest unsaved instances of a frame (for showing it again before it is saved).
  unsaved(frameId) {
    const entry = this.entries.get(frameId);
    return entry ? { version: entry.version, instances: entry.pending ?? entry.sending } : null;
  }

  pendingCount() {
    return this.entries.size;
  }

  status() {
    if (this.offline) return { kind: 'offline', pending: this.entries.size };
    return { kind: this.entries.size ? 'saving' : 'saved', pending: this.entries.size };
  }

  async flush(frameId, entry) {
    entry.inFlight = true;
    entry.sending = entry.pending;
    entry.pending = null;
    try {
      const result = await api.saveAnnotations(frameId, entry.version, entry.sending);
      entry.version = result.version;
      entry.retryMs = RETRY_MIN_MS;
      this.offline = false;
      this.emit('saved', { frameId, version: result.version, state: result.state });
      this.next(frameId, entry);
    } catch (error) {
      this.failed(frameId, entry, error);
    }
  }

  next(frameId, entry) {
    entry.inFlight = false;
    entry.sending = null;
    if (entry.pending) return this.flush(frameId, entry);
    this.entries.delete(frameId);
    this.emit('status');
  }

  failed(frameId, entry, error) {
    entry.inFlight = false;
    if (error instanceof api.NetworkError || (error instanceof api.ApiError && error.status >= 500)) {
      entry.pending = entry.pending ?? entry.sending;
      entry.sending = null;
      this.offline = true;
      this.emit('status');
      entry.timer = setTimeout(() => {
        entry.timer = null;
        if (entry.pending) this.flush(frameId, entry);
      }, entry.retryMs);
      entry.retryMs = Math.min(RETRY_MAX_MS, entry.retryMs * 2);
      return;
    }
    this.entries.delete(frameId);
    if (error instanceof api.ApiError && error.status === 409) this.emit('conflict', { frameId });
    else this.emit('rejected', { frameId, message: error.message });
    this.emit('status');
  }

  emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
