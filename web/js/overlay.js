// The tracks overlay of the behaviour view: each tracked mouse of the tracks file given to
// `behavtrack annotate --tracks` drawn over the video frame (box, keypoints, skeleton and a
// "Mouse k" label in k's colour), so the person labelling bouts for Mouse k sees which
// animal track id k is. Clicking a mouse's box picks it (onPick(id)).
//
// Tracks arrive in chunks of CHUNK_FRAMES frames (GET /api/videos/ID/tracks), fetched
// ahead of the playhead so playback never waits for them; a frame whose chunk has not
// arrived yet is drawn when it does (onLoaded). Only CHUNKS_KEPT chunks stay in memory,
// the ones nearest the playhead.
// Coordinates: tracks are in image pixels; the frame <img> is drawn with object-fit:
// contain, so image -> canvas is one scale and a centring offset (contentRect).

import * as api from './api.js';

// Bright, distinct colours that read on gray and on white mice; dark text goes on all.
export const MOUSE_COLOURS = ['#ff5252', '#40c4ff', '#69f0ae', '#ffd740', '#e040fb', '#ff9100', '#18ffff', '#eeff41', '#f48fb1', '#b0bec5'];
export const mouseColour = (id) => MOUSE_COLOURS[(Math.max(1, id) - 1) % MOUSE_COLOURS.length];

const CHUNK_FRAMES = 150; // frames a request; the server allows 300
const CHUNKS_AHEAD = 2; // 10 s at 30 fps ahead of the playhead
const CHUNKS_KEPT = 40;
const BOX_PX = 2;
const SELECTED_BOX_PX = 4;
const KEYPOINT_PX = 3.5;
const LABEL_FONT = '600 12px system-ui, sans-serif';
const LABEL_PAD_PX = 3;

export class TrackOverlay {
  constructor(canvas, image, { skeleton, onPick, onLoaded }) {
    this.canvas = canvas;
    this.image = image;
    this.edges = skeleton.edges ?? [];
    this.onPick = onPick;
    this.onLoaded = onLoaded;
    this.video = null;
    this.chunks = new Map(); // chunk index -> {frames: Map(frame -> instances) | null}
    this.visible = true;
    this.shown = []; // the instances drawn last, for hit tests
    this.labelsDrawn = []; // their label texts, for the browser tests
    canvas.addEventListener('click', (e) => this.onClick(e));
    canvas.addEventListener('pointermove', (e) => (canvas.style.cursor = this.hit(e) ? 'pointer' : 'default'));
  }

  get loaded() {
    return Boolean(this.video?.tracks);
  }

  setVideo(video) {
    this.video = video;
    this.chunks = new Map();
    this.shown = [];
  }

  setVisible(visible) {
    this.visible = visible;
  }

  // ---- data ----
  chunkOf(frame) {
    return Math.floor(frame / CHUNK_FRAMES);
  }

  load(chunk) {
    const n = this.video.n_frames;
    if (chunk < 0 || chunk * CHUNK_FRAMES >= n || this.chunks.has(chunk)) return;
    const entry = { frames: null };
    const chunks = this.chunks;
    chunks.set(chunk, entry);
    const from = chunk * CHUNK_FRAMES;
    api.tracks(this.video.id, from, Math.min(n - 1, from + CHUNK_FRAMES - 1))
      .then((reply) => {
        entry.frames = new Map(reply.frames.map((f) => [f.frame, f.instances]));
        if (chunks === this.chunks) this.onLoaded?.(from, from + CHUNK_FRAMES - 1);
      })
      .catch(() => chunks.delete(chunk)); // api.js reported it; asked again on the next frame
  }

  // Asks for the playhead's chunk and the next ones; forgets the farthest beyond the limit.
  prefetch(frame) {
    if (!this.loaded) return;
    const here = this.chunkOf(frame);
    for (let c = here; c <= here + CHUNKS_AHEAD; c++) this.load(c);
    if (this.chunks.size <= CHUNKS_KEPT) return;
    const far = [...this.chunks.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const c of far.slice(0, this.chunks.size - CHUNKS_KEPT)) this.chunks.delete(c);
  }

  // The frame's tracked instances; null while its chunk is on the way.
  instancesAt(frame) {
    const entry = this.chunks.get(this.chunkOf(frame));
    if (!entry?.frames) return null;
    return entry.frames.get(frame) ?? [];
  }

  // ---- geometry ----
  // Where the image lies in the canvas (CSS pixels): object-fit: contain.
  contentRect() {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const iw = this.image.naturalWidth || this.video.width;
    const ih = this.image.naturalHeight || this.video.height;
    const scale = Math.min(w / iw, h / ih);
    return { scale, ox: (w - iw * scale) / 2, oy: (h - ih * scale) / 2 };
  }

  // The id of the smallest shown box under the pointer (boxes of mice in contact overlap).
  hit(e) {
    if (!this.visible || !this.shown.length) return null;
    const r = this.contentRect();
    const rect = this.canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left - r.ox) / r.scale;
    const y = (e.clientY - rect.top - r.oy) / r.scale;
    let best = null;
    for (const inst of this.shown) {
      const [x1, y1, x2, y2] = inst.bbox;
      if (x < x1 || x > x2 || y < y1 || y > y2) continue;
      const area = (x2 - x1) * (y2 - y1);
      if (!best || area < best.area) best = { id: inst.id, area };
    }
    return best?.id ?? null;
  }

  onClick(e) {
    const id = this.hit(e);
    if (id !== null) this.onPick(id);
  }

  // ---- drawing ----
  // labels: Map id -> text after "Mouse k" (the behaviour of its bout at this frame).
  draw(frame, { selected, labels }) {
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * dpr);
    canvas.height = Math.round(canvas.clientHeight * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const instances = this.loaded && this.visible ? this.instancesAt(frame) : null;
    this.shown = instances ?? [];
    this.labelsDrawn = [];
    canvas.classList.toggle('interactive', this.shown.length > 0);
    document.body.dataset.overlayFrame = instances ? String(frame) : '';
    if (!instances) return;
    const r = this.contentRect();
    const toCanvas = (x, y) => [r.ox + x * r.scale, r.oy + y * r.scale];
    for (const inst of instances) {
      const colour = mouseColour(inst.id);
      this.drawSkeleton(ctx, inst, colour, toCanvas);
      this.drawBox(ctx, inst, colour, inst.id === selected ? SELECTED_BOX_PX : BOX_PX, toCanvas);
      this.drawKeypoints(ctx, inst, colour, toCanvas);
    }
    // Labels last, over every box.
    for (const inst of instances) {
      const extra = labels.get(inst.id);
      this.drawLabel(ctx, inst, mouseColour(inst.id), `Mouse ${inst.id}${extra ? ` · ${extra}` : ''}`, toCanvas);
    }
  }

  drawBox(ctx, inst, colour, width, toCanvas) {
    const [x1, y1] = toCanvas(inst.bbox[0], inst.bbox[1]);
    const [x2, y2] = toCanvas(inst.bbox[2], inst.bbox[3]);
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }

  drawSkeleton(ctx, inst, colour, toCanvas) {
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = colour;
    ctx.beginPath();
    for (const [a, b] of this.edges) {
      const p = inst.keypoints[a];
      const q = inst.keypoints[b];
      if (!p || !q || p[2] === 0 || q[2] === 0) continue;
      ctx.moveTo(...toCanvas(p[0], p[1]));
      ctx.lineTo(...toCanvas(q[0], q[1]));
    }
    ctx.stroke();
  }

  // Visible keypoints filled, occluded ones as rings (as on the frame canvas).
  drawKeypoints(ctx, inst, colour, toCanvas) {
    for (const [x, y, v] of inst.keypoints) {
      if (v === 0) continue;
      const [cx, cy] = toCanvas(x, y);
      ctx.beginPath();
      ctx.arc(cx, cy, KEYPOINT_PX, 0, 2 * Math.PI);
      ctx.lineWidth = 1.5;
      if (v === 2) {
        ctx.fillStyle = colour;
        ctx.fill();
        ctx.strokeStyle = '#111';
      } else {
        ctx.strokeStyle = colour;
      }
      ctx.stroke();
    }
  }

  // A tag above the box's top-left corner (inside it when the box touches the top).
  drawLabel(ctx, inst, colour, text, toCanvas) {
    const [x1, y1] = toCanvas(inst.bbox[0], inst.bbox[1]);
    ctx.font = LABEL_FONT;
    const w = ctx.measureText(text).width + 2 * LABEL_PAD_PX;
    const h = 16;
    const top = y1 - h - BOX_PX >= 0 ? y1 - h - BOX_PX : y1 + BOX_PX;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - BOX_PX / 2, top, w, h);
    ctx.fillStyle = '#111';
    ctx.textBaseline = 'middle';
    ctx.fillText(text, x1 - BOX_PX / 2 + LABEL_PAD_PX, top + h / 2 + 0.5);
    this.labelsDrawn.push(text);
  }
}
