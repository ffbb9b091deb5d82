// One strip per mouse under the video: its behaviour bouts along the video's frames, with
// a playhead. Press on a bout selects it; dragging its middle moves it, dragging within a
// few pixels of an edge resizes it; press on empty strip seeks there. A finished drag
// calls onChange(bout, {start_frame, end_frame}); the owner saves it.
// Confirmed bouts are solid; unconfirmed proposals (a model's, `active behavior-next`) are
// drawn faded and hatched, the way the frame canvas dashes unconfirmed boxes.

export const BEHAVIOR_COLOURS = ['#8d6e63', '#ab47bc', '#42a5f5', '#26a69a', '#9ccc65', '#ef5350', '#ffa726', '#ec407a', '#78909c', '#d4e157'];
const EDGE_PX = 5;
const STRIP_PX = 22;
const HATCH_PX = 6;

export class Ethogram {
  constructor(container, { behaviors, onSeek, onSelect, onChange }) {
    this.container = container;
    this.behaviors = behaviors;
    this.onSeek = onSeek;
    this.onSelect = onSelect;
    this.onChange = onChange;
    this.tracks = [];
    this.bouts = [];
    this.nFrames = 1;
    this.current = 0;
    this.selectedId = null;
    this.drag = null;
  }

  colour(behavior) {
    return BEHAVIOR_COLOURS[Math.max(0, this.behaviors.indexOf(behavior)) % BEHAVIOR_COLOURS.length];
  }

  // colourOf(track): the mouse's colour for its label (the tracks overlay's), if any.
  setTracks(tracks, nFrames, colourOf = () => '') {
    this.tracks = tracks;
    this.nFrames = Math.max(1, nFrames);
    this.container.innerHTML = tracks
      .map((t) => `<div class="strip-row"><span class="strip-label" style="--mouse:${colourOf(t)}"><span class="swatch"></span>Mouse ${t}</span><canvas class="strip" data-track="${t}" height="${STRIP_PX}"></canvas></div>`)
      .join('');
    for (const canvas of this.container.querySelectorAll('canvas')) {
      canvas.addEventListener('pointerdown', (e) => this.onDown(e, canvas));
      canvas.addEventListener('pointermove', (e) => this.onMove(e, canvas));
      canvas.addEventListener('pointerup', (e) => this.onUp(e, canvas));
    }
    this.draw();
  }

  update(bouts, current, selectedId, openBouts = []) {
    this.bouts = bouts;
    this.current = current;
    this.selectedId = selectedId;
    this.openBouts = openBouts;
    this.draw();
  }

  frameAt(canvas, clientX) {
    const rect = canvas.getBoundingClientRect();
    const f = Math.floor(((clientX - rect.left) / rect.width) * this.nFrames);
    return Math.min(this.nFrames - 1, Math.max(0, f));
  }

  xOf(canvas, frame) {
    return (frame / this.nFrames) * canvas.clientWidth;
  }

  boutAt(canvas, clientX) {
    const track = Number(canvas.dataset.track);
    const x = clientX - canvas.getBoundingClientRect().left;
    for (const b of this.bouts) {
      if (b.track_id !== track) continue;
      const x1 = this.xOf(canvas, b.start_frame);
      const x2 = this.xOf(canvas, b.end_frame + 1);
      if (x >= x1 - EDGE_PX && x <= x2 + EDGE_PX) {
        const edge = x - x1 <= EDGE_PX ? 'start' : x2 - x <= EDGE_PX ? 'end' : 'move';
        return { bout: b, edge };
      }
    }
    return null;
  }

  onDown(e, canvas) {
    canvas.setPointerCapture(e.pointerId);
    const hit = this.boutAt(canvas, e.clientX);
    if (!hit) {
      this.onSelect(null);
      this.drag = { seek: true };
      return this.onSeek(this.frameAt(canvas, e.clientX));
    }
    this.onSelect(hit.bout);
    this.drag = { ...hit, from: this.frameAt(canvas, e.clientX), start: hit.bout.start_frame, end: hit.bout.end_frame };
  }

  onMove(e, canvas) {
    const d = this.drag;
    if (!d) return;
    const f = this.frameAt(canvas, e.clientX);
    if (d.seek) return this.onSeek(f);
    const delta = f - d.from;
    const b = d.bout;
    const length = d.end - d.start;
    if (d.edge === 'move') {
      b.start_frame = Math.min(this.nFrames - 1 - length, Math.max(0, d.start + delta));
      b.end_frame = b.start_frame + length;
    } else if (d.edge === 'start') {
      b.start_frame = Math.min(d.end, Math.max(0, d.start + delta));
    } else {
      b.end_frame = Math.max(d.start, Math.min(this.nFrames - 1, d.end + delta));
    }
    d.moved = true;
    this.draw();
  }

  onUp() {
    const d = this.drag;
    this.drag = null;
    if (!d || d.seek || !d.moved) return;
    const changed = { start_frame: d.bout.start_frame, end_frame: d.bout.end_frame };
    d.bout.start_frame = d.start;
    d.bout.end_frame = d.end;
    this.onChange(d.bout, changed);
  }

  draw() {
    for (const canvas of this.container.querySelectorAll('canvas')) this.drawStrip(canvas);
  }

  drawStrip(canvas) {
    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(STRIP_PX * dpr);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#222';
    ctx.fillRect(0, 0, width, STRIP_PX);
    const track = Number(canvas.dataset.track);
    for (const b of [...this.bouts, ...(this.openBouts ?? [])]) {
      if (b.track_id !== track) continue;
      const x1 = this.xOf(canvas, b.start_frame);
      const x2 = Math.max(x1 + 2, this.xOf(canvas, b.end_frame + 1));
      ctx.fillStyle = this.colour(b.behavior);
      if (b.confirmed === false) this.drawProposal(ctx, x1, x2);
      else ctx.fillRect(x1, 2, x2 - x1, STRIP_PX - 4);
      if (b.id === this.selectedId) {
        ctx.strokeStyle = '#fff';
        ctx.lineWidth = 2;
        ctx.strokeRect(x1, 1, x2 - x1, STRIP_PX - 2);
      }
    }
    const x = this.xOf(canvas, this.current);
    ctx.fillStyle = '#fff';
    ctx.fillRect(x, 0, 1.5, STRIP_PX);
  }

  // A proposal: its colour at 45% with diagonal white hatching, inside a dashed outline.
  drawProposal(ctx, x1, x2) {
    const h = STRIP_PX - 4;
    ctx.save();
    ctx.globalAlpha = 0.45;
    ctx.fillRect(x1, 2, x2 - x1, h);
    ctx.globalAlpha = 1;
    ctx.beginPath();
    ctx.rect(x1, 2, x2 - x1, h);
    ctx.clip();
    ctx.strokeStyle = 'rgba(255, 255, 255, 0.55)';
    ctx.lineWidth = 1;
    for (let hx = x1 - h; hx < x2; hx += HATCH_PX) {
      ctx.moveTo(hx, 2 + h);
      ctx.lineTo(hx + h, 2);
    }
    ctx.stroke();
    ctx.restore();
    ctx.save();
    ctx.setLineDash([3, 2]);
    ctx.strokeStyle = ctx.fillStyle;
    ctx.strokeRect(x1 + 0.5, 2.5, x2 - x1 - 1, h - 1);
    ctx.restore();
  }
}
