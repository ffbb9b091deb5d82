// Behaviour labelling on a video, as BORIS does it with state events: pick a mouse, press
// a behaviour's key to start a bout at the current frame, press it again to stop it.
//
// A started bout is saved at once (one frame long) and extended when it stops, so nothing
// is lost if the page closes mid-bout. A bout covers frames [start, end]; stopping at frame
// f ends it at f - 1 (BORIS's stop time is the press time), never before its start.
// Starting another behaviour for the same mouse stops the open one first (a mouse does one
// thing at a time; the store refuses overlapping bouts of one track).
// Proposals (bouts a model proposed, `active behavior-next`) are unconfirmed until a person
// confirms them: N selects the next one (and shows its first frame), C confirms the
// selected one, Shift+C or Ctrl+S every proposal on the strips (one all-or-none request,
// as Ctrl+S confirms a frame's predictions in the frame mode); moving, resizing or changing
// the behaviour of a proposal confirms it too, since a person has then looked at it.
// With tracks loaded (`annotate --tracks`), each tracked mouse is drawn over the frame in
// its colour, which its "Mouse k" button and strip share (overlay.js); clicking a mouse's
// box picks it. The mice offered are 1..expected animals plus the ids of the tracks.
// Keys: Space play/pause, ← → step (Shift: 10 frames), 1…9, 0 behaviours, M or Tab next
// mouse, Delete removes the selected bout, N next proposal, C / Shift+C / Ctrl+S confirm,
// O shows or hides the tracks overlay.

import * as api from './api.js';
import { BEHAVIOR_COLOURS, Ethogram } from './ethogram.js';
import { escapeHtml } from './framelist.js';
import { TrackOverlay, mouseColour } from './overlay.js';

const $ = (selector) => document.querySelector(selector);
const BEHAVIOR_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0'];
const NO_TRACKS = 'no tracks loaded: start annotate with --tracks run/tracks.json to see identities';

export class VideoMode {
  constructor(project, message) {
    this.project = project;
    this.message = message;
    this.videos = [];
    this.video = null;
    this.current = 0;
    this.track = 1;
    this.tracks = [1];
    this.bouts = [];
    this.open = new Map(); // track -> bout being recorded (saved, growing)
    this.selected = null;
    this.playing = false;
    this.ethogram = new Ethogram($('#ethogram'), {
      behaviors: project.behaviors,
      onSeek: (f) => this.seek(f),
      onSelect: (b) => this.select(b),
      onChange: (b, changed) => this.saveBout(b, changed),
    });
    this.overlay = new TrackOverlay($('#video-overlay'), $('#video-frame'), {
      skeleton: project.skeleton,
      onPick: (id) => this.pickTrack(id),
      onLoaded: (from, to) => this.current >= from && this.current <= to && this.render(),
    });
    new ResizeObserver(() => this.render()).observe($('#video-overlay'));
    this.wire();
  }

  wire() {
    $('#video-select').addEventListener('change', (e) => this.openVideo(Number(e.target.value)));
    $('#play').addEventListener('click', () => this.togglePlay());
    $('#step-back').addEventListener('click', () => this.seek(this.current - 1));
    $('#step-forward').addEventListener('click', () => this.seek(this.current + 1));
    $('#scrub').addEventListener('input', (e) => this.seek(Number(e.target.value)));
    $('#mice').addEventListener('click', (e) => {
      const b = e.target.closest('[data-track]');
      if (b) this.pickTrack(Number(b.dataset.track));
    });
    $('#behaviors').addEventListener('click', (e) => {
      const b = e.target.closest('[data-behavior]');
      if (b) this.toggleBout(b.dataset.behavior);
    });
    $('#delete-bout').addEventListener('click', () => this.deleteSelected());
    $('#confirm-bout').addEventListener('click', () => this.confirmSelected());
    $('#confirm-shown').addEventListener('click', () => this.confirmShown());
    $('#bout-behavior').addEventListener('change', (e) => {
      e.target.blur(); // give the keys back to the strips
      this.changeBehavior(e.target.value);
    });
  }

  async show() {
    if (!this.videos.length) {
      this.videos = (await api.videos()).videos;
      $('#video-select').innerHTML = this.videos.map((v) => `<option value="${v.id}">${escapeHtml(v.path)}</option>`).join('');
      if (!this.videos.length) return this.message('This project has no videos.');
      await this.openVideo(this.videos[0].id);
    }
    this.render();
  }

  async openVideo(id) {
    this.pause();
    this.video = this.videos.find((v) => v.id === id);
    this.open.clear();
    this.selected = null;
    this.overlay.setVideo(this.video);
    const tracks = this.miceOf(this.video);
    this.tracks = tracks;
    if (!tracks.includes(this.track)) this.track = tracks[0];
    $('#mice').innerHTML = tracks.map((t) => `<button data-track="${t}" style="--mouse:${mouseColour(t)}"><span class="swatch"></span>Mouse ${t}</button>`).join('');
    this.describeTracks();
    $('#behaviors').innerHTML = this.project.behaviors
      .map((b, i) => `<button data-behavior="${escapeHtml(b)}"><span class="swatch" style="background:${BEHAVIOR_COLOURS[i % BEHAVIOR_COLOURS.length]}"></span>${escapeHtml(b)} <kbd>${BEHAVIOR_KEYS[i] ?? ''}</kbd></button>`)
      .join('');
    $('#scrub').max = String(this.video.n_frames - 1);
    $('#export-events').href = api.exportUrl(id, 'events');
    $('#export-labels').href = api.exportUrl(id, 'labels');
    $('#bout-behavior').innerHTML = this.project.behaviors.map((b) => `<option value="${escapeHtml(b)}">${escapeHtml(b)}</option>`).join('');
    this.ethogram.setTracks(tracks, this.video.n_frames, mouseColour);
    this.bouts = (await api.bouts(id)).bouts;
    await this.seek(0);
  }

  // Mice 1..expected animals, and any other id of the video's tracks: bouts are for them.
  miceOf(video) {
    const n = Math.max(1, this.project.expected_animals);
    const ids = new Set(Array.from({ length: n }, (_, i) => i + 1));
    for (const id of video.tracks?.ids ?? []) ids.add(id);
    return [...ids].sort((a, b) => a - b);
  }

  // The side panel names the tracks file; without one the view says so, once.
  describeTracks() {
    const t = this.video.tracks;
    const key = this.overlay.visible ? 'O hides them' : 'hidden: O shows them';
    $('#tracks-status').textContent = t ? `${t.file}: mice ${t.ids.join(', ')} (${key})` : 'no tracks loaded';
    $('#tracks-status').title = t ? `frames ${t.first_frame}–${t.last_frame}` : NO_TRACKS;
    if (t || this.toldNoTracks) return;
    this.toldNoTracks = true;
    this.message(NO_TRACKS);
  }

  toggleOverlay() {
    if (!this.overlay.loaded) return this.message(NO_TRACKS);
    this.overlay.setVisible(!this.overlay.visible);
    this.describeTracks();
    this.message(this.overlay.visible ? 'Tracks shown.' : 'Tracks hidden (O shows them).');
    this.render();
  }

  async seek(frame) {
    if (!this.video) return;
    this.current = Math.min(this.video.n_frames - 1, Math.max(0, frame));
    this.overlay.prefetch(this.current); // in parallel with the image
    const img = $('#video-frame');
    const target = api.videoFrameUrl(this.video.id, this.current);
    if (!img.src.endsWith(target)) {
      img.src = target;
      await img.decode().catch(() => {});
    }
    this.render();
  }

  togglePlay() {
    if (this.playing) return this.pause();
    this.playing = true;
    this.tick();
    this.render();
  }

  pause() {
    this.playing = false;
    clearTimeout(this.timer);
    this.render();
  }

  // Shows frames at the video's rate, or as fast as they decode when that is slower.
  async tick() {
    if (!this.playing) return;
    if (this.current >= this.video.n_frames - 1) return this.pause();
    const started = performance.now();
    await this.seek(this.current + 1);
    const wait = Math.max(0, 1000 / (this.video.fps || 25) - (performance.now() - started));
    this.timer = setTimeout(() => this.tick(), wait);
  }

  pickTrack(track) {
    this.track = track;
    this.render();
  }

  select(bout) {
    this.selected = bout;
    this.render();
  }

  // ---- bouts ----
  // Start/stop presses run one after another: a stop pressed while its start is still being
  // saved must find the bout open, or it would start a second one. (Failed requests are
  // already reported by api.js.)
  toggleBout(behavior) {
    this.pending = (this.pending ?? Promise.resolve()).then(() => this.toggleBoutNow(behavior)).catch(() => {});
    return this.pending;
  }

  async toggleBoutNow(behavior) {
    const open = this.open.get(this.track);
    if (open) await this.stop(open);
    if (open?.behavior === behavior) return;
    const bout = { track_id: this.track, behavior, start_frame: this.current, end_frame: this.current };
    const saved = await api.addBout(this.video.id, bout);
    this.bouts.push(saved);
    this.open.set(this.track, saved);
    this.message(`Mouse ${this.track}: ${behavior} started at frame ${this.current}.`);
    this.render();
  }

  async stop(bout) {
    this.open.delete(bout.track_id);
    const end = Math.max(bout.start_frame, this.current - 1);
    await this.saveBout(bout, { end_frame: end });
    this.message(`Mouse ${bout.track_id}: ${bout.behavior} frames ${bout.start_frame}–${end}.`);
  }

  async saveBout(bout, changed) {
    const body = { track_id: bout.track_id, behavior: bout.behavior, start_frame: bout.start_frame, end_frame: bout.end_frame, ...changed };
    try {
      const saved = await api.updateBout(bout.id, body, bout.version);
      Object.assign(bout, saved);
    } catch (error) {
      if (error.status === 409) this.message('That bout was changed elsewhere; reloaded the bouts.', 'conflict');
      this.bouts = (await api.bouts(this.video.id)).bouts;
    }
    this.render();
  }

  // The proposals the strips show: unconfirmed bouts of the mice offered.
  shownProposals() {
    return this.bouts.filter((b) => b.confirmed === false && this.tracks.includes(b.track_id));
  }

  async confirm(list, what) {
    if (!list.length) return this.message(`No proposal to confirm${what}.`);
    try {
      const saved = await api.confirmBouts(list.map((b) => ({ id: b.id, version: b.version })));
      const versions = new Map(saved.bouts.map((b) => [b.id, b.version]));
      for (const b of this.bouts) {
        if (!versions.has(b.id)) continue;
        b.version = versions.get(b.id);
        b.confirmed = true;
      }
      this.message(`Confirmed ${list.length} proposed bout${list.length === 1 ? '' : 's'}${what}.`);
    } catch (error) {
      if (error.status === 409) this.message('A bout was changed elsewhere; reloaded the bouts, nothing confirmed.', 'conflict');
      this.bouts = (await api.bouts(this.video.id)).bouts;
      this.selected = this.bouts.find((b) => b.id === this.selected?.id) ?? null;
    }
    this.render();
  }

  confirmSelected() {
    const b = this.selected;
    if (!b) return this.message('Click a bout in the strips first.');
    if (b.confirmed !== false) return this.message('That bout is already confirmed.');
    return this.confirm([b], '');
  }

  confirmShown() {
    return this.confirm(this.shownProposals(), ' on the strips');
  }

  // The first proposal starting after the current frame (wrapping), selected and shown.
  nextProposal() {
    const list = this.shownProposals().sort((a, b) => a.start_frame - b.start_frame || a.track_id - b.track_id);
    if (!list.length) return this.message('No proposals waiting.');
    const next = list.find((b) => b.start_frame > this.current) ?? list[0];
    this.select(next);
    return this.seek(next.start_frame);
  }

  changeBehavior(behavior) {
    const b = this.selected;
    if (!b || b.behavior === behavior) return;
    return this.saveBout(b, { behavior });
  }

  async deleteSelected() {
    const b = this.selected;
    if (!b) return this.message('Click a bout in the strips first.');
    try {
      await api.deleteBout(b.id, b.version);
    } finally {
      this.bouts = (await api.bouts(this.video.id)).bouts;
      this.open.delete(b.track_id);
      this.selected = null;
      this.render();
    }
  }

  onKey(e) {
    const key = e.key;
    if ((e.ctrlKey || e.metaKey) && !e.altKey && key.toLowerCase() === 's') return this.confirmShown(), true;
    if (e.ctrlKey || e.metaKey || e.altKey) return false;
    const step = e.shiftKey ? 10 : 1;
    if (key === ' ') return this.togglePlay(), true;
    if (key === 'ArrowRight' || key === '.') return this.seek(this.current + step), true;
    if (key === 'ArrowLeft' || key === ',') return this.seek(this.current - step), true;
    if (key === 'Delete' || key === 'Backspace') return this.deleteSelected(), true;
    if (key === 'n') return this.nextProposal(), true;
    if (key === 'c') return this.confirmSelected(), true;
    if (key === 'C') return this.confirmShown(), true;
    if (key === 'o') return this.toggleOverlay(), true;
    if (key === 'm' || key === 'Tab') return this.pickTrack(this.tracks[(this.tracks.indexOf(this.track) + 1) % this.tracks.length]), true;
    const i = BEHAVIOR_KEYS.indexOf(key);
    if (i >= 0 && i < this.project.behaviors.length) return this.toggleBout(this.project.behaviors[i]), true;
    return false;
  }

  render() {
    if (!this.video) return;
    $('#scrub').value = String(this.current);
    $('#play').textContent = this.playing ? 'Pause' : 'Play';
    const fps = this.video.fps || 25;
    $('#video-position').textContent = `frame ${this.current} / ${this.video.n_frames - 1} · ${(this.current / fps).toFixed(2)} s`;
    for (const b of document.querySelectorAll('#mice [data-track]')) b.classList.toggle('active', Number(b.dataset.track) === this.track);
    const open = this.open.get(this.track);
    for (const b of document.querySelectorAll('#behaviors [data-behavior]')) b.classList.toggle('recording', open?.behavior === b.dataset.behavior);
    const growing = [...this.open.values()].map((b) => ({ ...b, end_frame: Math.max(b.start_frame, this.current - 1) }));
    this.ethogram.update(this.bouts, this.current, this.selected?.id ?? null, growing);
    const waiting = this.shownProposals().length;
    $('#proposals').textContent = waiting ? `${waiting} proposed bout${waiting === 1 ? '' : 's'} to confirm` : 'no proposals waiting';
    $('#confirm-shown').disabled = waiting === 0;
    const b = this.selected;
    $('#confirm-bout').disabled = !b || b.confirmed !== false;
    $('#bout-behavior').disabled = !b;
    if (b) $('#bout-behavior').value = b.behavior;
    $('#selected-bout').textContent = b
      ? `Mouse ${b.track_id}, frames ${b.start_frame}–${b.end_frame}, ${b.confirmed === false ? 'proposed (unconfirmed)' : 'confirmed'}`
      : 'none';
    this.overlay.draw(this.current, { selected: this.track, labels: this.behaviorsAt(this.current, growing) });
    document.body.dataset.videoFrame = String(this.current);
  }

  // Each mouse's behaviour at the frame, from its bouts (the one being recorded included).
  behaviorsAt(frame, growing) {
    const labels = new Map();
    for (const b of [...this.bouts, ...growing]) {
      if (frame < b.start_frame || frame > b.end_frame) continue;
      labels.set(b.track_id, b.confirmed === false ? `${b.behavior}?` : b.behavior);
    }
    for (const b of this.open.values()) labels.set(b.track_id, `● ${b.behavior}`);
    return labels;
  }
}
