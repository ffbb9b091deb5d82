// The annotation app: wires the frame list, the frame canvas (model/view/controller), the
// saver and the video mode together, and owns the header, side panel, help and messages.
// Errors from any API call end up in one message bar (api.onApiError).

import * as api from './api.js';
import { FrameController, KEYS } from './controller.js';
import { FrameList, STATE_LABELS, escapeHtml } from './framelist.js';
import { FrameModel, TOOL_BOX } from './model.js';
import { Saver } from './saver.js';
import { VideoMode } from './video.js';
import { BOX_CONFIRMED, BOX_PREDICTED, CanvasView, keypointColour } from './view.js';

const $ = (selector) => document.querySelector(selector);
const PREFETCH_AHEAD = 2; // images
const LIST_AHEAD = 50; // rows

class App {
  async start() {
    api.onApiError((error) => this.showError(error));
    this.project = await api.project();
    this.model = new FrameModel(this.project);
    this.view = new CanvasView($('#canvas'));
    this.saver = new Saver();
    this.list = new FrameList($('#frame-list'));
    this.controller = new FrameController({ model: this.model, view: this.view, actions: this.actions() });
    this.video = new VideoMode(this.project, (text, kind) => this.message(text, kind));
    this.position = -1;
    this.wanted = -1;
    this.loadToken = 0;
    this.wire();
    this.renderStatic();
    await this.list.setFilter({});
    this.updateCounts(this.project.counts);
    if (this.list.total) await this.openPosition(0);
    else this.message('This project has no frames yet: sample some with `behavtrack frames sample`.');
    document.body.dataset.ready = 'true';
  }

  actions() {
    return {
      // From the frame last asked for, so that quick presses are not lost while one loads.
      nextFrame: () => this.openPosition(this.wanted + 1),
      prevFrame: () => this.openPosition(this.wanted - 1),
      nextUnconfirmed: () => this.openNextUnconfirmed(),
      copyPrevious: () => this.copyPrevious(),
      toggleHelp: () => this.toggleHelp(),
      message: (text) => this.message(text),
    };
  }

  wire() {
    this.view.onResize = () => {
      this.view.fit();
      this.redraw();
    };
    this.model.addEventListener('view', () => this.redraw());
    this.model.addEventListener('change', () => this.saver.save(this.model.frame.id, this.model.version, this.model.instances));
    this.saver.addEventListener('status', () => this.renderSaveStatus());
    this.saver.addEventListener('saved', (e) => this.onSaved(e.detail));
    this.saver.addEventListener('conflict', (e) => this.onConflict(e.detail.frameId));
    this.saver.addEventListener('rejected', (e) => this.message(`Not saved: ${e.detail.message}`, 'error'));
    this.list.addEventListener('open', (e) => this.openPosition(e.detail.position));
    document.addEventListener('keydown', (e) => this.onKey(e));
    window.addEventListener('beforeunload', (e) => {
      if (this.saver.pendingCount()) e.preventDefault();
    });
    $('#filter-split').addEventListener('change', (e) => this.refilter({ split: e.target.value }));
    $('#filter-state').addEventListener('change', (e) => this.refilter({ state: e.target.value }));
    $('#sort-incomplete').addEventListener('change', (e) => this.refilter({ sort: e.target.checked ? 'incomplete_first' : 'index' }));
    $('#next-unconfirmed').addEventListener('click', () => this.openNextUnconfirmed());
    $('#tools').addEventListener('click', (e) => this.onToolClick(e));
    $('#instances').addEventListener('click', (e) => {
      const row = e.target.closest('[data-index]');
      if (row) this.model.select(Number(row.dataset.index), e.shiftKey);
    });
    $('#actions').addEventListener('click', (e) => this.onAction(e.target.closest('button')?.dataset.action));
    $('#help-button').addEventListener('click', () => this.toggleHelp());
    $('#help-close').addEventListener('click', () => this.toggleHelp(false));
    for (const tab of document.querySelectorAll('[data-mode]')) tab.addEventListener('click', () => this.setMode(tab.dataset.mode));
  }

  // ---- frames ----
  async refilter(filter) {
    await this.list.setFilter(filter);
    this.position = this.list.positionOf(this.model.frame?.id);
    this.list.setCurrent(this.model.frame?.id, this.position);
  }

  async openPosition(position) {
    const row = await this.list.rowAt(position);
    if (!row) return this.message(position < 0 ? 'This is the first frame of the list.' : 'This is the last frame of the list.');
    this.wanted = position;
    await this.openFrame(row, position);
  }

  // Image and annotations load in parallel; the frame is shown when both are there.
  async openFrame(row, position) {
    const token = ++this.loadToken;
    const started = performance.now();
    const image = new Image();
    image.src = api.frameImageUrl(row.id);
    let labels;
    try {
      [labels] = await Promise.all([api.annotations(row.id), image.decode()]);
    } catch (error) {
      if (token === this.loadToken) this.message(`Could not open ${row.name}: ${error.message || 'its image did not load'}`, 'error');
      return;
    }
    if (token !== this.loadToken) return;
    const unsaved = this.saver.unsaved(row.id);
    this.model.load(row, unsaved?.version ?? labels.version, unsaved?.instances ?? labels.instances);
    this.view.setImage(image);
    this.position = position;
    this.wanted = position;
    this.list.setCurrent(row.id, position);
    this.redraw();
    document.body.dataset.frameId = String(row.id);
    document.body.dataset.frameSwitchMs = String(Math.round(performance.now() - started));
    this.prefetch(position);
  }

  // The next frames' images go into the browser cache, so stepping through is instant.
  async prefetch(position) {
    this.list.rowAt(position + LIST_AHEAD).catch(() => {}); // the next list page, before it is needed
    for (let i = 1; i <= PREFETCH_AHEAD; i++) {
      const row = await this.list.rowAt(position + i);
      if (row) new Image().src = api.frameImageUrl(row.id);
    }
  }

  async reloadCurrent() {
    const row = await api.frame(this.model.frame.id);
    this.list.updateRow(row.id, { state: row.state, version: row.version });
    await this.openFrame(row, this.position);
  }

  async openNextUnconfirmed() {
    const next = await api.nextUnconfirmed(this.model.frame?.id ?? 0);
    if (!next) return this.message('No frame holds unconfirmed predictions.');
    const row = await api.frame(next.id);
    await this.openFrame(row, this.list.positionOf(next.id));
  }

  async copyPrevious() {
    const row = await this.list.rowAt(this.position - 1);
    if (!row) return this.message('There is no previous frame to copy from.');
    const unsaved = this.saver.unsaved(row.id);
    const instances = unsaved?.instances ?? (await api.annotations(row.id)).instances;
    if (!instances.length) return this.message(`The previous frame (${row.name}) has no instances.`);
    this.model.copyFrom(instances);
    this.message(`Copied ${instances.length} instance(s) from ${row.name}.`);
  }

  onSaved({ frameId, version, state }) {
    if (this.model.frame?.id === frameId) this.model.version = version;
    this.list.updateRow(frameId, { state, version });
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => api.project().then((p) => this.updateCounts(p.counts)), 500);
  }

  async onConflict(frameId) {
    if (this.model.frame?.id !== frameId) return this.message('A change to another frame was refused: someone saved that frame first.', 'error');
    await this.reloadCurrent();
    this.message('Someone else (another tab?) saved this frame first. It was reloaded with their version; your last change was not applied.', 'conflict');
  }

  // ---- rendering ----
  redraw() {
    this.view.draw(this.model);
    this.renderSide();
  }

  renderStatic() {
    $('#project-name').textContent = this.project.name;
    document.title = `${this.project.name} · behavtrack annotate`;
    const splits = ['', ...this.project.splits];
    $('#filter-split').innerHTML = splits.map((s) => `<option value="${s}">${s ? escapeHtml(s) : 'all splits'}</option>`).join('');
    const states = ['', 'complete', 'predicted', 'started', 'empty'];
    $('#filter-state').innerHTML = states.map((s) => `<option value="${s}">${s || 'all states'}</option>`).join('');
    this.renderHelp();
  }

  renderSide() {
    const m = this.model;
    const tools = [`<button data-tool="${TOOL_BOX}" class="${m.tool === TOOL_BOX ? 'active' : ''}">Box <kbd>B</kbd></button>`];
    m.skeleton.keypoints.forEach((name, k) => {
      const inst = m.instances[m.selected];
      const placed = inst && inst.keypoints[k][2] > 0 ? ' placed' : '';
      tools.push(`<button data-tool="${k}" class="${m.tool === k ? 'active' : ''}${placed}"><span class="swatch" style="background:${keypointColour(k)}"></span>${escapeHtml(name)} <kbd>${k < 9 ? k + 1 : ''}</kbd></button>`);
    });
    $('#tools').innerHTML = tools.join('');
    $('#instances').innerHTML = m.instances.map((inst, i) => this.instanceRow(inst, i)).join('') || '<li class="hint">Drag on the image to draw a box.</li>';
    $('#frame-title').textContent = m.frame ? `${m.frame.name} · ${m.instances.length}/${m.expectedAnimals} animals` : '';
    $('#zoom').textContent = `${Math.round(this.view.scale * 100)}%`;
    $('#undo-redo').textContent = `undo ${m.undoStack.length} · redo ${m.redoStack.length}`;
  }

  instanceRow(inst, i) {
    const m = this.model;
    const n = inst.keypoints.filter((k) => k[2] > 0).length;
    const selected = m.selection.includes(i) ? ' selected' : '';
    const kind = inst.confirmed ? 'confirmed' : 'predicted';
    return `<li data-index="${i}" class="instance ${kind}${selected}"><span class="swatch" style="background:${inst.confirmed ? BOX_CONFIRMED : BOX_PREDICTED}"></span>` +
      `Mouse ${inst.id ?? '?'} <small>${kind} · ${n}/${m.nKeypoints} keypoints</small></li>`;
  }

  renderHelp() {
    const keys = KEYS.map(([k, what]) => `<tr><td><kbd>${escapeHtml(k)}</kbd></td><td>${escapeHtml(what)}</td></tr>`).join('');
    const states = Object.entries(STATE_LABELS).map(([s, what]) => `<li><span class="dot state-${s}"></span>${escapeHtml(what)}</li>`).join('');
    const kps = this.project.skeleton.keypoints.map((name, k) => `<li><span class="swatch" style="background:${keypointColour(k)}"></span>${escapeHtml(name)}</li>`).join('');
    $('#help-keys').innerHTML = keys;
    $('#help-states').innerHTML = states;
    $('#help-keypoints').innerHTML = kps;
  }

  renderSaveStatus() {
    const s = this.saver.status();
    const el = $('#save-status');
    el.dataset.state = s.kind;
    el.textContent = s.kind === 'saved' ? '✓ All changes saved'
      : s.kind === 'saving' ? 'Saving…'
      : `⚠ Server unreachable: ${s.pending} frame(s) with unsaved changes kept, retrying`;
  }

  updateCounts(counts) {
    if (!counts) return;
    $('#progress').textContent = `${counts.complete}/${counts.total} complete`;
    $('#progress').title = `complete ${counts.complete} · predicted ${counts.predicted} · started ${counts.started} · empty ${counts.empty}`;
  }

  // ---- messages, help, modes, keys ----
  message(text, kind = 'info') {
    const el = $('#message');
    el.textContent = text;
    el.title = text;
    el.dataset.kind = kind;
    clearTimeout(this.messageTimer);
    if (kind === 'info') this.messageTimer = setTimeout(() => (el.textContent = ''), 6000);
  }

  showError(error) {
    if (error instanceof api.NetworkError) return this.renderSaveStatus();
    this.message(error.message, 'error');
  }

  toggleHelp(show) {
    const help = $('#help');
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  setMode(mode) {
    this.mode = mode;
    for (const tab of document.querySelectorAll('[data-mode]')) tab.classList.toggle('active', tab.dataset.mode === mode);
    $('#frames-mode').hidden = mode !== 'frames';
    $('#video-mode').hidden = mode !== 'video';
    if (mode === 'video') this.video.show();
    else this.view.resize();
  }

  onToolClick(e) {
    const button = e.target.closest('[data-tool]');
    if (button) this.model.setTool(Number(button.dataset.tool));
  }

  onAction(action) {
    const m = this.model;
    const run = {
      confirmAll: () => m.confirmAll(),
      copyPrevious: () => this.copyPrevious(),
      swap: () => m.swapSelectedIds() || this.message('Select two instances (Shift+click) to swap their identities.'),
      delete: () => this.controller.deleteActive(),
      undo: () => m.undo(),
      redo: () => m.redo(),
      fit: () => (this.view.fit(), this.redraw()),
      zoom50: () => this.zoomTo(0.5),
      zoom100: () => this.zoomTo(1),
      zoom200: () => this.zoomTo(2),
      prev: () => this.openPosition(this.wanted - 1),
      next: () => this.openPosition(this.wanted + 1),
    }[action];
    run?.();
  }

  // Exact zoom levels, keeping the image point at the canvas centre fixed.
  zoomTo(scale) {
    this.view.zoomAt(this.view.width / 2, this.view.height / 2, scale / this.view.scale);
    this.redraw();
  }

  onKey(e) {
    if (e.target.closest?.('input, select, textarea')) return;
    if (!$('#help').hidden && e.key === 'Escape') return this.toggleHelp(false);
    // The frame controller handles H in its mode; the behaviour mode has no H of its own.
    if (this.mode === 'video' && e.key === 'h' && !e.ctrlKey && !e.metaKey && !e.altKey) return this.toggleHelp();
    const handled = this.mode === 'video' ? this.video.onKey(e) : this.controller.onKey(e);
    if (handled) e.preventDefault();
  }
}

const app = new App();
app.mode = 'frames';
window.bt = app; // for the browser tests and the console
app.start().catch((error) => {
  document.body.dataset.ready = 'error';
  app.message(`Could not start: ${error.message}`, 'error');
});
