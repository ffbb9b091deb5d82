// Pointer and keyboard events of the frame canvas, turned into model calls.
//
// Mode table (cvat-canvas style): what a primary-button press does, by the active tool
// and what is under the pointer (view.hitTest). Shift+press adds to the selection.
//
// | tool \ under pointer | handle of selected box | keypoint          | inside a box          | empty                    |
// |----------------------|------------------------|-------------------|-----------------------|--------------------------|
// | box                  | resize the box         | drag the keypoint | select (+ confirm), move | draw a new box        |
// | keypoint k           | resize the box         | drag the keypoint | select, place k there | place k in selected box  |
//
// Wheel zooms about the pointer; middle or right button drags pan. Keys: see KEYS below
// (the help panel is generated from the same table).

import { TOOL_BOX } from './model.js';

const DRAG_THRESHOLD_PX = 3;
const MIN_BOX_PX = 2;

export const KEYS = [
  ['Ctrl+Alt', 'cycle tool: box → each keypoint → box'],
  ['1 … 9, B', 'pick keypoint 1 … 9, or the box tool'],
  ['Ctrl+X', 'toggle visibility of the active keypoint (visible ↔ occluded)'],
  ['Delete', 'delete the active keypoint, else the selected box'],
  ['Ctrl+S', 'confirm all instances of the frame (edits are saved at once)'],
  ['Ctrl+Z / Ctrl+Shift+Z', 'undo / redo'],
  ['→ or D / ← or A', 'next / previous frame in the list'],
  ['N', 'next frame with unconfirmed predictions'],
  ['C', "copy the previous frame's instances"],
  ['Shift+click, then I', 'swap the identities of two selected instances'],
  ['Tab', 'select the next instance'],
  ['F', 'fit the image to the window'],
  ['Esc', 'deselect'],
  ['H', 'show or hide this help'],
];

export class FrameController {
  constructor({ model, view, actions }) {
    this.model = model;
    this.view = view;
    this.actions = actions; // nextFrame, prevFrame, nextUnconfirmed, copyPrevious, toggleHelp, message
    this.gesture = null;
    const canvas = view.canvas;
    canvas.addEventListener('pointerdown', (e) => this.onDown(e));
    canvas.addEventListener('pointermove', (e) => this.onMove(e));
    canvas.addEventListener('pointerup', (e) => this.onUp(e));
    canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  point(e) {
    const rect = this.view.canvas.getBoundingClientRect();
    return { sx: e.clientX - rect.left, sy: e.clientY - rect.top };
  }

  onWheel(e) {
    e.preventDefault();
    const { sx, sy } = this.point(e);
    this.view.zoomAt(sx, sy, Math.exp(-e.deltaY * 0.0015));
    this.model.emitView();
  }

  onDown(e) {
    if (!this.model.frame) return;
    const { sx, sy } = this.point(e);
    this.view.canvas.setPointerCapture(e.pointerId);
    if (e.button !== 0) {
      this.gesture = { kind: 'pan', last: { sx, sy } };
      return;
    }
    const hit = this.view.hitTest(this.model, sx, sy);
    const p = this.view.toImage(sx, sy);
    this.gesture = { kind: 'pending', hit, start: p, startScreen: { sx, sy }, shift: e.shiftKey };
  }

  onMove(e) {
    const g = this.gesture;
    if (!g) return;
    const { sx, sy } = this.point(e);
    if (g.kind === 'pan') {
      this.view.pan(sx - g.last.sx, sy - g.last.sy);
      g.last = { sx, sy };
      return this.model.emitView();
    }
    if (g.kind === 'pending') {
      if (Math.hypot(sx - g.startScreen.sx, sy - g.startScreen.sy) < DRAG_THRESHOLD_PX) return;
      this.startDrag(g);
    }
    this.drag(g, this.view.toImage(sx, sy));
  }

  startDrag(g) {
    const { hit } = g;
    const m = this.model;
    if (hit.kind === 'handle') Object.assign(g, { kind: 'resize', index: hit.index, box: [...m.instances[hit.index].bbox] });
    else if (hit.kind === 'keypoint') Object.assign(g, { kind: 'keypoint', index: hit.index, k: hit.keypoint });
    else if (hit.kind === 'box' && m.tool === TOOL_BOX) Object.assign(g, { kind: 'move', index: hit.index, box: [...m.instances[hit.index].bbox] });
    else if (hit.kind === 'empty' && m.tool === TOOL_BOX) Object.assign(g, { kind: 'draw' });
    else Object.assign(g, { kind: 'none' });
    if (g.kind !== 'draw' && g.kind !== 'none') {
      if (!m.selection.includes(g.index)) m.select(g.index);
      m.beginGesture();
    }
  }

  drag(g, p) {
    const m = this.model;
    const dx = p.x - g.start.x;
    const dy = p.y - g.start.y;
    if (g.kind === 'draw') {
      this.view.draft = [g.start.x, g.start.y, p.x, p.y];
      m.emitView();
    } else if (g.kind === 'move') {
      const [x1, y1, x2, y2] = g.box;
      m.setBox(g.index, [x1 + dx, y1 + dy, x2 + dx, y2 + dy]);
    } else if (g.kind === 'resize') {
      m.setBox(g.index, resized(g.box, g.hit.handle, p));
    } else if (g.kind === 'keypoint') {
      m.moveKeypoint(g.index, g.k, p.x, p.y);
    }
  }

  onUp(e) {
    const g = this.gesture;
    this.gesture = null;
    if (!g) return;
    if (g.kind === 'pending') return this.click(g);
    if (g.kind === 'draw') {
      const box = this.view.draft;
      this.view.draft = null;
      const big = Math.abs(box[2] - box[0]) * this.view.scale >= MIN_BOX_PX && Math.abs(box[3] - box[1]) * this.view.scale >= MIN_BOX_PX;
      if (big) this.model.addBox(box);
      else this.model.emitView();
    } else if (g.kind !== 'pan' && g.kind !== 'none') {
      this.model.endGesture();
    }
  }

  // A press without a drag: select, or place the active keypoint.
  click(g) {
    const m = this.model;
    const { hit, start } = g;
    if (m.tool !== TOOL_BOX && !g.shift) {
      const target = hit.kind === 'box' || hit.kind === 'keypoint' ? pickTarget(m, hit.index, start) : m.selected;
      if (target < 0) return this.actions.message('Draw or select a box first, then click to place its keypoints.');
      if (!m.selection.includes(target)) m.select(target);
      return m.placeKeypoint(target, m.tool, start.x, start.y);
    }
    if (hit.kind === 'empty') return m.select(-1);
    m.select(hit.index, g.shift);
    if (hit.kind === 'keypoint') m.setTool(hit.keypoint);
  }

  onKey(e) {
    const m = this.model;
    const ctrl = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    if (e.ctrlKey && e.altKey && (e.key === 'Control' || e.key === 'Alt')) return m.cycleTool(), true;
    if (ctrl && key === 'x') return this.toggleVisibility(), true;
    if (ctrl && key === 's') return m.confirmAll(), this.actions.message('All instances of this frame confirmed.'), true;
    if (ctrl && key === 'z') return (e.shiftKey ? m.redo() : m.undo()), true;
    if (ctrl && key === 'y') return m.redo(), true;
    if (ctrl || e.altKey) return false;
    return this.plainKey(e, key);
  }

  plainKey(e, key) {
    const m = this.model;
    if (key === 'delete' || key === 'backspace') return this.deleteActive(), true;
    if (key === 'arrowright' || key === 'd') return this.actions.nextFrame(), true;
    if (key === 'arrowleft' || key === 'a') return this.actions.prevFrame(), true;
    if (key === 'n') return this.actions.nextUnconfirmed(), true;
    if (key === 'c') return this.actions.copyPrevious(), true;
    if (key === 'h' || key === '?') return this.actions.toggleHelp(), true;
    if (key === 'f') return this.view.fit(), m.emitView(), true;
    if (key === 'escape') return m.select(-1), true;
    if (key === 'b') return m.setTool(TOOL_BOX), true;
    if (key === 'i') {
      if (!m.swapSelectedIds()) this.actions.message('Select two instances (Shift+click) to swap their identities.');
      return true;
    }
    if (key === 'tab') {
      if (m.instances.length) m.select((m.selected + 1) % m.instances.length);
      return true;
    }
    const digit = Number(key);
    if (Number.isInteger(digit) && digit >= 1 && digit <= Math.min(9, m.nKeypoints)) return m.setTool(digit - 1), true;
    return false;
  }

  toggleVisibility() {
    const m = this.model;
    if (m.selected < 0 || m.tool === TOOL_BOX || !m.toggleVisibility(m.selected, m.tool))
      this.actions.message('Select a box and a placed keypoint to toggle its visibility.');
  }

  deleteActive() {
    const m = this.model;
    if (m.selected < 0) return;
    if (m.tool !== TOOL_BOX && m.deleteKeypoint(m.selected, m.tool)) return;
    m.deleteInstance(m.selected);
  }
}

// Overlapping boxes: keep placing on the selected instance when the click is inside it.
function pickTarget(model, hitIndex, p) {
  const sel = model.instances[model.selected];
  if (!sel) return hitIndex;
  const [x1, y1, x2, y2] = sel.bbox;
  return p.x >= x1 && p.x <= x2 && p.y >= y1 && p.y <= y2 ? model.selected : hitIndex;
}

function resized([x1, y1, x2, y2], handle, p) {
  if (handle.includes('w')) x1 = p.x;
  if (handle.includes('e')) x2 = p.x;
  if (handle.includes('n')) y1 = p.y;
  if (handle.includes('s')) y2 = p.y;
  return [x1, y1, x2, y2];
}
