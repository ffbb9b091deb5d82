// Canvas drawing of one frame and its instances, with zoom and pan.
//
// The view maps image pixels to canvas CSS pixels: screen = image * scale + offset.
// Everything the model holds is in image pixels; only this file knows the mapping, so a
// click lands on the same image pixel at any zoom (BehavTrack stored CSS pixels instead).
// Colours follow BehavTrack: confirmed boxes red, unconfirmed predictions blue (dashed
// here); keypoints filled when visible, hollow when occluded, one colour per keypoint.

export const KEYPOINT_COLOURS = ['#ffeb3b', '#4caf50', '#00bcd4', '#ff9800', '#e040fb', '#8bc34a', '#ff5722', '#9c27b0', '#03a9f4', '#cddc39'];
export const BOX_CONFIRMED = '#e53935';
export const BOX_PREDICTED = '#1e88e5';
const HANDLE_PX = 5;
const KEYPOINT_PX = 5;

export const keypointColour = (k) => KEYPOINT_COLOURS[k % KEYPOINT_COLOURS.length];

export class CanvasView {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d');
    this.image = null;
    this.scale = 1;
    this.offsetX = 0;
    this.offsetY = 0;
    this.draft = null; // a box being drawn, image pixels
    new ResizeObserver(() => this.resize()).observe(canvas.parentElement);
  }

  resize() {
    const parent = this.canvas.parentElement;
    const dpr = window.devicePixelRatio || 1;
    this.width = parent.clientWidth;
    this.height = parent.clientHeight;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.onResize?.();
  }

  setImage(image) {
    const first = !this.image;
    const sizeChanged = !first && (this.image.naturalWidth !== image.naturalWidth || this.image.naturalHeight !== image.naturalHeight);
    this.image = image;
    if (first || sizeChanged) this.fit();
  }

  fit() {
    if (!this.image || !this.width) return;
    const w = this.image.naturalWidth;
    const h = this.image.naturalHeight;
    this.scale = Math.min(this.width / w, this.height / h);
    this.offsetX = (this.width - w * this.scale) / 2;
    this.offsetY = (this.height - h * this.scale) / 2;
  }

  setView({ scale, offsetX, offsetY }) {
    this.scale = scale;
    this.offsetX = offsetX;
    this.offsetY = offsetY;
  }

  // Zooms by `factor` keeping the image point under (sx, sy) fixed.
  zoomAt(sx, sy, factor) {
    const scale = Math.min(40, Math.max(0.05, this.scale * factor));
    const p = this.toImage(sx, sy);
    this.scale = scale;
    this.offsetX = sx - p.x * scale;
    this.offsetY = sy - p.y * scale;
  }

  pan(dx, dy) {
    this.offsetX += dx;
    this.offsetY += dy;
  }

  toImage(sx, sy) {
    return { x: (sx - this.offsetX) / this.scale, y: (sy - this.offsetY) / this.scale };
  }

  toScreen(x, y) {
    return { x: x * this.scale + this.offsetX, y: y * this.scale + this.offsetY };
  }

  // What is under the screen point: a handle of the selected box, a keypoint, or a box.
  hitTest(model, sx, sy) {
    const sel = model.selected;
    if (sel >= 0) {
      const handle = this.handleAt(model.instances[sel].bbox, sx, sy);
      if (handle) return { kind: 'handle', index: sel, handle };
    }
    const order = [...model.instances.keys()].sort((a, b) => (a === sel ? -1 : b === sel ? 1 : 0));
    for (const i of order) {
      const kps = model.instances[i].keypoints;
      for (let k = 0; k < kps.length; k++) {
        if (kps[k][2] === 0) continue;
        const p = this.toScreen(kps[k][0], kps[k][1]);
        if (Math.hypot(p.x - sx, p.y - sy) <= KEYPOINT_PX + 2) return { kind: 'keypoint', index: i, keypoint: k };
      }
    }
    const { x, y } = this.toImage(sx, sy);
    for (const i of order) {
      const [x1, y1, x2, y2] = model.instances[i].bbox;
      if (x >= x1 && x <= x2 && y >= y1 && y <= y2) return { kind: 'box', index: i };
    }
    return { kind: 'empty' };
  }

  // Handles: corners nw, ne, sw, se and edge midpoints n, s, w, e.
  handlePoints([x1, y1, x2, y2]) {
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    return { nw: [x1, y1], n: [mx, y1], ne: [x2, y1], e: [x2, my], se: [x2, y2], s: [mx, y2], sw: [x1, y2], w: [x1, my] };
  }

  handleAt(bbox, sx, sy) {
    for (const [name, [x, y]] of Object.entries(this.handlePoints(bbox))) {
      const p = this.toScreen(x, y);
      if (Math.abs(p.x - sx) <= HANDLE_PX + 2 && Math.abs(p.y - sy) <= HANDLE_PX + 2) return name;
    }
    return null;
  }

  draw(model) {
    const ctx = this.ctx;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#111';
    ctx.fillRect(0, 0, this.width, this.height);
    if (this.image) {
      ctx.imageSmoothingEnabled = this.scale < 2;
      ctx.drawImage(this.image, this.offsetX, this.offsetY, this.image.naturalWidth * this.scale, this.image.naturalHeight * this.scale);
    }
    model.instances.forEach((inst, i) => this.drawInstance(model, inst, i));
    if (this.draft) this.drawBox(this.draft, BOX_CONFIRMED, [6, 4], 1.5);
  }

  drawBox([x1, y1, x2, y2], colour, dash, width) {
    const a = this.toScreen(x1, y1);
    const b = this.toScreen(x2, y2);
    const ctx = this.ctx;
    ctx.setLineDash(dash);
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.strokeRect(a.x, a.y, b.x - a.x, b.y - a.y);
    ctx.setLineDash([]);
  }

  drawInstance(model, inst, i) {
    const selected = model.selection.includes(i);
    const colour = inst.confirmed ? BOX_CONFIRMED : BOX_PREDICTED;
    this.drawBox(inst.bbox, colour, inst.confirmed ? [] : [6, 4], selected ? 3 : 1.5);
    this.drawLabel(inst, colour);
    this.drawSkeleton(model, inst, colour);
    inst.keypoints.forEach((kp, k) => this.drawKeypoint(kp, k, inst.confirmed, selected && model.tool === k));
    if (selected && i === model.selected) this.drawHandles(inst.bbox, colour);
  }

  drawLabel(inst, colour) {
    const p = this.toScreen(inst.bbox[0], inst.bbox[1]);
    const text = `Mouse ${inst.id ?? '?'}${inst.confirmed ? '' : ' (predicted)'}`;
    const ctx = this.ctx;
    ctx.font = '12px system-ui, sans-serif';
    const w = ctx.measureText(text).width + 8;
    ctx.fillStyle = colour;
    ctx.fillRect(p.x, p.y - 16, w, 16);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, p.x + 4, p.y - 4);
  }

  drawSkeleton(model, inst, colour) {
    const ctx = this.ctx;
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    for (const [a, b] of model.skeleton.edges ?? []) {
      const ka = inst.keypoints[a];
      const kb = inst.keypoints[b];
      if (!ka || !kb || ka[2] === 0 || kb[2] === 0) continue;
      const pa = this.toScreen(ka[0], ka[1]);
      const pb = this.toScreen(kb[0], kb[1]);
      ctx.beginPath();
      ctx.moveTo(pa.x, pa.y);
      ctx.lineTo(pb.x, pb.y);
      ctx.stroke();
    }
  }

  // Visible: filled disc; occluded: hollow ring; predicted: blue outline instead of black.
  drawKeypoint([x, y, v], k, confirmed, active) {
    if (v === 0) return;
    const p = this.toScreen(x, y);
    const ctx = this.ctx;
    ctx.beginPath();
    ctx.arc(p.x, p.y, active ? KEYPOINT_PX + 2 : KEYPOINT_PX, 0, 2 * Math.PI);
    ctx.lineWidth = 2;
    ctx.strokeStyle = confirmed ? '#000' : BOX_PREDICTED;
    if (v === 2) {
      ctx.fillStyle = keypointColour(k);
      ctx.fill();
      ctx.stroke();
    } else {
      ctx.strokeStyle = keypointColour(k);
      ctx.lineWidth = 3;
      ctx.stroke();
    }
  }

  drawHandles(bbox, colour) {
    const ctx = this.ctx;
    ctx.fillStyle = '#fff';
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1;
    for (const [x, y] of Object.values(this.handlePoints(bbox))) {
      const p = this.toScreen(x, y);
      ctx.fillRect(p.x - HANDLE_PX, p.y - HANDLE_PX, 2 * HANDLE_PX, 2 * HANDLE_PX);
      ctx.strokeRect(p.x - HANDLE_PX, p.y - HANDLE_PX, 2 * HANDLE_PX, 2 * HANDLE_PX);
    }
  }
}
