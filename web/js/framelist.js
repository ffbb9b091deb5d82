// The frame list: filters, BehavTrack's progress colours and a virtualised list.
//
// Only the rows in view exist in the DOM and rows are fetched a page at a time, so a
// 100,000-frame project scrolls and opens as fast as a small one. Rows keep their position
// until the filter changes (a frame that becomes complete does not jump away under the
// pointer in "incomplete first" order).

import * as api from './api.js';

const ROW_PX = 24;
const PAGE_SIZE = 200;
export const STATE_LABELS = {
  complete: 'complete: every expected animal with all keypoints, all confirmed',
  predicted: 'holds unconfirmed predictions',
  started: 'started, incomplete',
  empty: 'empty',
};

export class FrameList extends EventTarget {
  constructor(container) {
    super();
    this.container = container;
    this.spacer = document.createElement('div');
    this.spacer.className = 'frame-list-spacer';
    container.appendChild(this.spacer);
    this.filter = { split: '', state: '', sort: 'index' };
    this.pages = new Map();
    this.loading = new Map();
    this.total = 0;
    this.currentId = null;
    container.addEventListener('scroll', () => this.render());
    container.addEventListener('click', (e) => {
      const row = e.target.closest('.frame-row');
      if (row) this.emit('open', { position: Number(row.dataset.position) });
    });
  }

  async setFilter(filter) {
    this.filter = { ...this.filter, ...filter };
    this.pages.clear();
    this.loading.clear();
    this.container.scrollTop = 0;
    await this.page(0);
    this.render();
  }

  async page(n) {
    if (this.pages.has(n)) return this.pages.get(n);
    if (!this.loading.has(n)) {
      const request = api.frames({ ...this.filter, offset: n * PAGE_SIZE, limit: PAGE_SIZE }).then((data) => {
        this.total = data.total;
        this.spacer.style.height = `${this.total * ROW_PX}px`;
        this.pages.set(n, data.frames);
        this.loading.delete(n);
        return data.frames;
      });
      request.catch(() => this.loading.delete(n));
      this.loading.set(n, request);
    }
    return this.loading.get(n);
  }

  // The row at a list position, or null past the end.
  async rowAt(position) {
    if (position < 0 || (this.total && position >= this.total)) return null;
    const rows = await this.page(Math.floor(position / PAGE_SIZE));
    return rows[position % PAGE_SIZE] ?? null;
  }

  positionOf(frameId) {
    for (const [n, rows] of this.pages) {
      const i = rows.findIndex((r) => r.id === frameId);
      if (i >= 0) return n * PAGE_SIZE + i;
    }
    return -1;
  }

  setCurrent(frameId, position) {
    this.currentId = frameId;
    this.scrollIntoView(position);
    this.render();
  }

  updateRow(frameId, changes) {
    for (const rows of this.pages.values()) for (const r of rows) if (r.id === frameId) Object.assign(r, changes);
    this.render();
  }

  scrollIntoView(position) {
    if (position < 0) return;
    const top = position * ROW_PX;
    const c = this.container;
    if (top < c.scrollTop || top + ROW_PX > c.scrollTop + c.clientHeight) c.scrollTop = top - c.clientHeight / 2;
  }

  render() {
    const c = this.container;
    const first = Math.max(0, Math.floor(c.scrollTop / ROW_PX) - 5);
    const last = Math.min(this.total, Math.ceil((c.scrollTop + c.clientHeight) / ROW_PX) + 5);
    const rows = [];
    let missing = false;
    for (let pos = first; pos < last; pos++) {
      const page = this.pages.get(Math.floor(pos / PAGE_SIZE));
      if (!page) {
        missing = true;
        continue;
      }
      const r = page[pos % PAGE_SIZE];
      if (r) rows.push(this.rowHtml(r, pos));
    }
    this.spacer.innerHTML = rows.join('');
    if (missing) this.fetchRange(first, last);
  }

  async fetchRange(first, last) {
    const pages = new Set();
    for (let pos = first; pos < last; pos += PAGE_SIZE) pages.add(Math.floor(pos / PAGE_SIZE));
    pages.add(Math.floor((last - 1) / PAGE_SIZE));
    await Promise.all([...pages].map((n) => this.page(n)));
    this.render();
  }

  rowHtml(r, pos) {
    const current = r.id === this.currentId ? ' current' : '';
    const split = r.split ? `<span class="split">${escapeHtml(r.split)}</span>` : '';
    return `<div class="frame-row state-${r.state}${current}" data-position="${pos}" data-id="${r.id}" style="top:${pos * ROW_PX}px" title="${STATE_LABELS[r.state]}">` +
      `<span class="dot"></span><span class="name">${escapeHtml(r.name || `frame ${r.frame_index}`)}</span>${split}</div>`;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}
