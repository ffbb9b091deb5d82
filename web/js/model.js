// The state of the frame being annotated, in image pixel coordinates (origin top-left).
//
// An instance is {id, bbox: [x1, y1, x2, y2], keypoints: [[x, y, v], ...] (skeleton order,
// v: 0 absent, 1 occluded, 2 visible), score, predicted, confirmed} as the API sends it.
// Every user edit goes through edit() (or beginGesture/endGesture for drags), which keeps
// the undo history and emits 'change' so the saver stores it at once. 'view' events only
// ask for a redraw (selection, tool).

export const TOOL_BOX = -1;

const clone = (value) => JSON.parse(JSON.stringify(value));

export class FrameModel extends EventTarget {
  constructor(project) {
    super();
    this.skeleton = project.skeleton;
    this.expectedAnimals = project.expected_animals;
    this.frame = null;
    this.version = 0;
    this.instances = [];
    this.selection = [];
    this.tool = TOOL_BOX;
    this.undoStack = [];
    this.redoStack = [];
    this.gestureStart = null;
  }

  get nKeypoints() {
    return this.skeleton.keypoints.length;
  }

  load(frame, version, instances) {
    this.frame = frame;
    this.version = version;
    this.instances = clone(instances);
    this.selection = [];
    this.tool = TOOL_BOX;
    this.undoStack = [];
    this.redoStack = [];
    this.emitView();
  }

  // ---- history ----
  snapshot() {
    return JSON.stringify(this.instances);
  }

  edit(change) {
    const before = this.snapshot();
    change();
    this.record(before);
  }

  record(before) {
    if (before === this.snapshot()) return this.emitView();
    this.undoStack.push(before);
    if (this.undoStack.length > 200) this.undoStack.shift();
    this.redoStack = [];
    this.emitChange();
  }

  // A drag changes the instances many times; it is one undo step and one save.
  beginGesture() {
    this.gestureStart = this.snapshot();
  }

  endGesture() {
    if (this.gestureStart === null) return;
    const before = this.gestureStart;
    this.gestureStart = null;
    this.record(before);
  }

  undo() {
    this.travel(this.undoStack, this.redoStack);
  }

  redo() {
    this.travel(this.redoStack, this.undoStack);
  }

  travel(from, to) {
    if (!from.length) return;
    to.push(this.snapshot());
    this.instances = JSON.parse(from.pop());
    this.selection = this.selection.filter((i) => i < this.instances.length);
    this.emitChange();
  }

  emitChange() {
    this.dispatchEvent(new CustomEvent('change'));
    this.emitView();
  }

  emitView() {
    this.dispatchEvent(new CustomEvent('view'));
  }

  // ---- selection and tool ----
  get selected() {
    return this.selection.length ? this.selection[this.selection.length - 1] : -1;
  }

  // Selecting an unconfirmed prediction confirms it (BehavTrack's rule): one click per box.
  select(index, additive = false) {
    if (index < 0) {
      this.selection = [];
      return this.emitView();
    }
    this.selection = additive ? [...this.selection.filter((i) => i !== index), index].slice(-2) : [index];
    if (!this.instances[index].confirmed) this.edit(() => this.confirm(this.instances[index]));
    else this.emitView();
  }

  setTool(tool) {
    this.tool = tool;
    this.emitView();
  }

  // Ctrl+Alt: box -> each keypoint -> box.
  cycleTool() {
    this.setTool(this.tool + 1 >= this.nKeypoints ? TOOL_BOX : this.tool + 1);
  }

  // ---- edits ----
  nextFreeId() {
    const used = new Set(this.instances.map((inst) => inst.id));
    let id = 1;
    while (used.has(id)) id += 1;
    return id;
  }

  addBox(bbox) {
    const instance = {
      id: this.nextFreeId(),
      bbox: normaliseBox(bbox),
      keypoints: Array.from({ length: this.nKeypoints }, () => [0, 0, 0]),
      score: 1,
      predicted: false,
      confirmed: true,
    };
    this.edit(() => this.instances.push(instance));
    this.selection = [this.instances.length - 1];
    this.setTool(0);
  }

  // During a gesture: no history entry until endGesture().
  setBox(index, bbox) {
    this.instances[index].bbox = normaliseBox(bbox);
    this.emitView();
  }

  moveKeypoint(index, k, x, y) {
    const kp = this.instances[index].keypoints[k];
    kp[0] = x;
    kp[1] = y;
    this.emitView();
  }

  // Places keypoint k (visible) and moves the tool to the next keypoint: one click each.
  placeKeypoint(index, k, x, y) {
    this.edit(() => {
      const kp = this.instances[index].keypoints[k];
      this.instances[index].keypoints[k] = [x, y, kp[2] === 1 ? 1 : 2];
      this.instances[index].confirmed = true;
    });
    this.setTool(k + 1 >= this.nKeypoints ? TOOL_BOX : k + 1);
  }

  toggleVisibility(index, k) {
    const kp = this.instances[index]?.keypoints[k];
    if (!kp || kp[2] === 0) return false;
    this.edit(() => (kp[2] = kp[2] === 2 ? 1 : 2));
    return true;
  }

  deleteKeypoint(index, k) {
    const kp = this.instances[index]?.keypoints[k];
    if (!kp || kp[2] === 0) return false;
    this.edit(() => (this.instances[index].keypoints[k] = [0, 0, 0]));
    return true;
  }

  deleteInstance(index) {
    if (!this.instances[index]) return;
    this.edit(() => this.instances.splice(index, 1));
    this.selection = [];
    this.emitView();
  }

  confirmAll() {
    this.edit(() => this.instances.forEach((inst) => this.confirm(inst)));
  }

  // An untracked prediction gets the smallest free identity when a person confirms it.
  confirm(instance) {
    instance.confirmed = true;
    if (instance.id === null || instance.id === undefined) instance.id = this.nextFreeId();
  }

  swapSelectedIds() {
    if (this.selection.length !== 2) return false;
    const [a, b] = this.selection.map((i) => this.instances[i]);
    this.edit(() => ([a.id, b.id] = [b.id, a.id]));
    return true;
  }

  // Copies another frame's instances into this one as manual, confirmed instances.
  copyFrom(instances) {
    this.edit(() => {
      this.instances = clone(instances).map((inst) => ({ ...inst, predicted: false, confirmed: true }));
    });
    this.selection = [];
  }

  unconfirmedCount() {
    return this.instances.filter((inst) => !inst.confirmed).length;
  }
}

export function normaliseBox([x1, y1, x2, y2]) {
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}
