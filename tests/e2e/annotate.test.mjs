// Browser tests of the annotation app: Debian's Chromium (headless, playwright-core)
// against a real `behavtrack annotate` on a temporary project. Run by ctest
// (tests/server/tests.cmake); screenshots go to $BT_TEST_OUTPUT.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  api, frameAt, imageToPage, kill9, launchBrowser, makeProject, openApp, openPosition, screenshot, startServer,
  tempDir, waitSaved,
} from './harness.mjs';

let dir;
let server;
let browser;

before(async () => {
  dir = tempDir('bt-e2e-');
  makeProject(path.join(dir, 'p'), ['--frames', '8', '--predicted', '2', '--animals', '2']);
  server = await startServer(path.join(dir, 'p'));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) await kill9(server);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function annotations(position) {
  const f = await frameAt(server.port, position);
  return (await api(server.port, `/api/frames/${f.id}/annotations`)).body;
}

async function drag(page, from, to) {
  const a = await imageToPage(page, ...from);
  const b = await imageToPage(page, ...to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 3 });
  await page.mouse.move(b.x, b.y, { steps: 3 });
  await page.mouse.up();
}

async function clickImage(page, x, y) {
  const p = await imageToPage(page, x, y);
  await page.mouse.click(p.x, p.y);
}

const near = (actual, expected, tolerance = 1) => Math.abs(actual - expected) <= tolerance;

test('draw a box, place 4 keypoints, toggle visibility, undo/redo, reload and see it all', async () => {
  const page = await openApp(browser.context, server.port);
  await openPosition(page, 2); // an empty frame
  await drag(page, [100, 80], [180, 140]);
  const kps = [[110, 90], [120, 95], [130, 100], [170, 130]];
  for (const [x, y] of kps) await clickImage(page, x, y); // the tool advances by itself
  await page.keyboard.press('2'); // keypoint 2 (earL)
  await page.keyboard.press('Control+X');
  await waitSaved(page);
  let a = await annotations(2);
  assert.equal(a.instances.length, 1);
  const inst = a.instances[0];
  assert.ok(inst.bbox.every((v, i) => near(v, [100, 80, 180, 140][i])), `bbox ${inst.bbox}`);
  kps.forEach(([x, y], k) => assert.ok(near(inst.keypoints[k][0], x) && near(inst.keypoints[k][1], y), `kp ${k}: ${inst.keypoints[k]}`));
  assert.deepEqual(inst.keypoints.map((k) => k[2]), [2, 1, 2, 2]);
  assert.equal(inst.confirmed, true);
  await screenshot(page, 'drawn');

  await page.keyboard.press('Control+Z');
  await waitSaved(page);
  assert.equal((await annotations(2)).instances[0].keypoints[1][2], 2, 'undo restores visibility');
  await page.keyboard.press('Control+Shift+Z');
  await waitSaved(page);
  assert.equal((await annotations(2)).instances[0].keypoints[1][2], 1, 'redo re-applies it');

  // Ctrl+Alt cycles the tool: box -> nose -> earL ...
  await page.keyboard.press('b');
  await page.keyboard.down('Control');
  await page.keyboard.down('Alt');
  await page.keyboard.up('Alt');
  await page.keyboard.up('Control');
  assert.equal(await page.evaluate(() => bt.model.tool), 0);

  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await openPosition(page, 2);
  const shown = await page.evaluate(() => bt.model.instances);
  a = await annotations(2);
  assert.deepEqual(shown, a.instances);
  assert.equal(await page.locator('.frame-row.current.state-started').count(), 1);
  await screenshot(page, 'reloaded');
  await page.close();
});

test('selecting a predicted box confirms it; Ctrl+S confirms all', async () => {
  const page = await openApp(browser.context, server.port);
  await openPosition(page, 0);
  const before = await annotations(0);
  assert.deepEqual(before.instances.map((i) => i.confirmed), [false, false]);
  await screenshot(page, 'predicted');
  const [x1, y1, x2, y2] = before.instances[0].bbox;
  await clickImage(page, x1 + 3, (y1 + y2) / 2);
  await waitSaved(page);
  let a = await annotations(0);
  assert.deepEqual(a.instances.map((i) => i.confirmed), [true, false]);
  assert.deepEqual(a.instances[0].bbox, before.instances[0].bbox, 'confirming does not move the box');
  assert.equal(a.instances[0].id, 1, 'a confirmed untracked prediction gets the first free identity');
  await page.keyboard.press('Control+S');
  await waitSaved(page);
  a = await annotations(0);
  assert.deepEqual(a.instances.map((i) => i.confirmed), [true, true]);
  assert.deepEqual(a.instances.map((i) => i.id), [1, 2]);
  // Complete: 2 animals x 4 visible keypoints, all confirmed -> green in the list.
  await page.waitForFunction(() => document.querySelector('.frame-row[data-position="0"]')?.classList.contains('state-complete'));
  // N jumps to the next frame with unconfirmed predictions (position 1).
  await page.keyboard.press('n');
  await page.waitForFunction(() => bt.position === 1);

  // Shift+click two instances, I swaps their identities.
  const b = (await annotations(1)).instances;
  await page.keyboard.press('Control+S');
  await waitSaved(page);
  await clickImage(page, b[0].bbox[0] + 3, (b[0].bbox[1] + b[0].bbox[3]) / 2);
  await page.keyboard.down('Shift');
  await clickImage(page, b[1].bbox[0] + 3, (b[1].bbox[1] + b[1].bbox[3]) / 2);
  await page.keyboard.up('Shift');
  await page.keyboard.press('i');
  await waitSaved(page);
  assert.deepEqual((await annotations(1)).instances.map((i) => i.id), [2, 1]);

  await page.keyboard.press('h');
  assert.equal(await page.locator('#help').isVisible(), true);
  const help = await page.locator('#help').textContent();
  for (const key of ['Ctrl+Alt', 'Ctrl+X', 'Ctrl+S', 'Ctrl+Z / Ctrl+Shift+Z', 'Shift+click, then I', 'holds unconfirmed predictions', 'tailB'])
    assert.ok(help.includes(key), `help lists ${key}`);
  await screenshot(page, 'help');
  await page.keyboard.press('h');
  assert.equal(await page.locator('#help').isVisible(), false);
  await page.close();
});

for (const zoom of [0.5, 2]) {
  test(`a click at ${zoom * 100}% zoom lands on the clicked image pixel`, async () => {
    const page = await openApp(browser.context, server.port);
    const position = zoom === 0.5 ? 3 : 4;
    await openPosition(page, position);
    await drag(page, [60, 60], [260, 200]);
    await page.locator(`[data-action="zoom${zoom * 100}"]`).click();
    assert.equal(await page.evaluate(() => bt.view.scale), zoom);
    const target = [157, 121];
    const p = await imageToPage(page, ...target);
    // Whole page pixels, as a person clicks; the image pixel under it is within 1 px.
    await page.mouse.click(Math.round(p.x), Math.round(p.y));
    await waitSaved(page);
    const kp = (await annotations(position)).instances[0].keypoints[0];
    assert.ok(near(kp[0], target[0]) && near(kp[1], target[1]), `stored ${kp} for clicked ${target}`);
    await screenshot(page, `zoom-${zoom * 100}`);
    await page.close();
  });
}

test('move and resize a box by its handles, drag a keypoint, delete a keypoint and the box', async () => {
  const page = await openApp(browser.context, server.port);
  await openPosition(page, 7);
  await drag(page, [50, 50], [150, 120]);
  await page.keyboard.press('b');
  await drag(page, [100, 85], [120, 95]); // move
  await waitSaved(page);
  let inst = (await annotations(7)).instances[0];
  assert.ok(inst.bbox.every((v, i) => near(v, [70, 60, 170, 130][i])), `moved bbox ${inst.bbox}`);
  await drag(page, [170, 130], [200, 150]); // the south-east handle
  await waitSaved(page);
  inst = (await annotations(7)).instances[0];
  assert.ok(inst.bbox.every((v, i) => near(v, [70, 60, 200, 150][i])), `resized bbox ${inst.bbox}`);
  await page.keyboard.press('1');
  await clickImage(page, 90, 80);
  await drag(page, [90, 80], [95, 88]); // drag the placed nose
  await waitSaved(page);
  inst = (await annotations(7)).instances[0];
  assert.ok(near(inst.keypoints[0][0], 95) && near(inst.keypoints[0][1], 88), `dragged nose ${inst.keypoints[0]}`);
  await page.keyboard.press('1');
  await page.keyboard.press('Delete');
  await waitSaved(page);
  assert.deepEqual((await annotations(7)).instances[0].keypoints[0], [0, 0, 0]);
  await page.keyboard.press('b');
  await page.keyboard.press('Delete');
  await waitSaved(page);
  assert.equal((await annotations(7)).instances.length, 0);
  await page.close();
});

test('behaviour bout start/stop by key in the video mode, and its export', async () => {
  const page = await openApp(browser.context, server.port);
  await page.locator('[data-mode="video"]').click();
  await page.waitForFunction(() => document.body.dataset.videoFrame === '0');
  // Started without --tracks: the view says so, draws nothing and works as before.
  assert.equal(await page.locator('#message').textContent(),
    'no tracks loaded: start annotate with --tracks run/tracks.json to see identities');
  assert.equal(await page.locator('#tracks-status').textContent(), 'no tracks loaded');
  assert.equal(await page.evaluate(() => document.body.dataset.overlayFrame), '');
  await page.locator('#mice [data-track="2"]').click();
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.body.dataset.videoFrame === '2');
  await page.keyboard.press('2'); // rearing starts at frame 2
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.body.dataset.videoFrame === '6');
  await page.keyboard.press('2'); // ... and stops at frame 6: frames 2..5
  await page.waitForFunction(() => bt.video.open.size === 0 && bt.video.bouts.length === 1 && bt.video.bouts[0].end_frame === 5);
  const video = (await api(server.port, '/api/videos')).body.videos[0];
  const bouts = (await api(server.port, `/api/videos/${video.id}/bouts`)).body.bouts;
  assert.deepEqual(bouts.map((b) => [b.track_id, b.behavior, b.start_frame, b.end_frame]), [[2, 'rearing', 2, 5]]);
  const csv = (await api(server.port, `/api/videos/${video.id}/export/events.csv`)).body;
  assert.match(csv, /mouse 2,rearing,,,START,0\.067,2\n/);
  assert.match(csv, /mouse 2,rearing,,,STOP,0\.200,5\n/);
  const href = await page.locator('#export-events').getAttribute('href');
  assert.equal(href, `/api/videos/${video.id}/export/events.csv`);
  await screenshot(page, 'video-mode');

  // Resize by the bout's end edge, move it, delete it, in the mouse's ethogram strip.
  const strip = await page.locator('#ethogram canvas[data-track="2"]').boundingBox();
  const xOf = (frame) => strip.x + (frame / video.n_frames) * strip.width;
  const y = strip.y + strip.height / 2;
  const dragStrip = async (from, to) => {
    await page.mouse.move(from, y);
    await page.mouse.down();
    await page.mouse.move(to, y, { steps: 4 });
    await page.mouse.up();
  };
  const listed = async () => (await api(server.port, `/api/videos/${video.id}/bouts`)).body.bouts.map((b) => [b.start_frame, b.end_frame]);
  await dragStrip(xOf(6) - 1, xOf(9) - 1);
  await page.waitForFunction(() => bt.video.bouts[0]?.end_frame === 8);
  assert.deepEqual(await listed(), [[2, 8]]);
  await dragStrip(xOf(4.5), xOf(6.5));
  await page.waitForFunction(() => bt.video.bouts[0]?.start_frame === 4);
  assert.deepEqual(await listed(), [[4, 10]]);
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => bt.video.bouts.length === 0);
  assert.deepEqual(await listed(), []);
  await page.close();
});

// Distinct colours along the middle row of a strip between two frames (device pixels).
async function stripColours(page, track, fromFrame, toFrame) {
  return page.evaluate(([t, a, b]) => {
    const canvas = document.querySelector(`#ethogram canvas[data-track="${t}"]`);
    const ctx = canvas.getContext('2d');
    const x1 = Math.ceil((a / bt.video.video.n_frames) * canvas.width) + 4;
    const x2 = Math.floor((b / bt.video.video.n_frames) * canvas.width) - 4;
    const row = ctx.getImageData(x1, Math.round(canvas.height / 2), x2 - x1, 1).data;
    const seen = new Set();
    for (let i = 0; i < row.length; i += 4) seen.add(`${row[i]},${row[i + 1]},${row[i + 2]}`);
    return seen.size;
  }, [track, fromFrame, toFrame]);
}

test('proposed bouts are hatched; N walks them; C, an edit, Shift+C and Ctrl+S confirm them; exports skip the unconfirmed', async () => {
  const video = (await api(server.port, '/api/videos')).body.videos[0];
  const route = `/api/videos/${video.id}/bouts`;
  for (const b of (await api(server.port, route)).body.bouts) await api(server.port, `/api/bouts/${b.id}?version=${b.version}`, { method: 'DELETE' });
  const propose = (track, behavior, start, end) => api(server.port, route, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ track_id: track, behavior, start_frame: start, end_frame: end, predicted: true, confirmed: false }),
  });
  for (const [behavior, start, end] of [['resting', 0, 3], ['running', 6, 9], ['exploring', 14, 16]])
    assert.equal((await propose(1, behavior, start, end)).status, 201);
  const exported = await fetch(`http://127.0.0.1:${server.port}/api/videos/${video.id}/export/labels.csv`);
  assert.equal(exported.headers.get('x-unconfirmed-bouts-skipped'), '3');
  assert.equal(await exported.text(), 'frame,time_s,id,behavior\n');

  const page = await openApp(browser.context, server.port);
  await page.locator('[data-mode="video"]').click();
  await page.waitForFunction(() => bt.video.bouts.length === 3 && bt.video.bouts.every((b) => b.confirmed === false));
  await page.waitForFunction((text) => document.querySelector('#proposals').textContent === text, '3 proposed bouts to confirm');
  assert.ok(await page.locator('.bout-legend').isVisible());
  assert.ok(await stripColours(page, 1, 0, 4) > 1, 'a proposal is hatched, not one flat colour');
  await screenshot(page, 'video-proposals');

  const strip = await page.locator('#ethogram canvas[data-track="1"]').boundingBox();
  const xOf = (frame) => strip.x + (frame / video.n_frames) * strip.width;
  const y = strip.y + strip.height / 2;
  const listed = async () => Object.fromEntries((await api(server.port, route)).body.bouts
    .map((b) => [b.start_frame, [b.behavior, b.end_frame, b.predicted, b.confirmed]]));

  // N walks the proposals in time order (wrapping); C confirms the selected one: drawn
  // solid from then on, still marked as predicted.
  await page.keyboard.press('n');
  await page.waitForFunction(() => bt.video.selected?.start_frame === 6 && document.body.dataset.videoFrame === '6');
  await page.keyboard.press('n');
  await page.waitForFunction(() => bt.video.selected?.start_frame === 14);
  await page.keyboard.press('n');
  await page.waitForFunction(() => bt.video.selected?.start_frame === 0 && document.body.dataset.videoFrame === '0');
  await page.mouse.click(xOf(2), y);
  await page.waitForFunction(() => bt.video.selected?.start_frame === 0);
  await page.keyboard.press('c');
  await page.waitForFunction(() => bt.video.bouts.find((b) => b.start_frame === 0).confirmed === true);
  assert.deepEqual((await listed())[0], ['resting', 3, true, true]);
  assert.equal(await stripColours(page, 1, 0, 4), 1, 'a confirmed bout is one flat colour');
  await page.waitForFunction((text) => document.querySelector('#proposals').textContent === text, '2 proposed bouts to confirm');

  // Changing a proposal's behaviour confirms it.
  await page.mouse.click(xOf(8), y);
  await page.waitForFunction(() => bt.video.selected?.start_frame === 6);
  await page.locator('#bout-behavior').selectOption('rearing');
  await page.waitForFunction(() => bt.video.bouts.find((b) => b.start_frame === 6).confirmed === true);
  assert.deepEqual((await listed())[6], ['rearing', 9, true, true]);

  // So does moving its end.
  await page.mouse.move(xOf(17) - 1, y);
  await page.mouse.down();
  await page.mouse.move(xOf(19) - 1, y, { steps: 4 });
  await page.mouse.up();
  await page.waitForFunction(() => bt.video.bouts.find((b) => b.start_frame === 14).confirmed === true);
  assert.deepEqual((await listed())[14], ['exploring', 18, true, true]);

  // Shift+C, or Ctrl+S, confirms every proposal on the strips in one request.
  const reload = async (n) => {
    await page.evaluate(() => bt.video.openVideo(bt.video.video.id));
    await page.waitForFunction((count) => bt.video.bouts.length === count, n);
  };
  for (const [track, start] of [[1, 20], [2, 0]]) assert.equal((await propose(track, 'resting', start, start + 2)).status, 201);
  await reload(5);
  await page.waitForFunction((text) => document.querySelector('#proposals').textContent === text, '2 proposed bouts to confirm');
  await page.keyboard.press('Shift+C');
  await page.waitForFunction(() => bt.video.bouts.every((b) => b.confirmed === true));
  assert.equal((await propose(2, 'running', 5, 6)).status, 201);
  await reload(6);
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => bt.video.bouts.every((b) => b.confirmed === true));
  const all = (await api(server.port, route)).body.bouts;
  assert.equal(all.filter((b) => b.confirmed).length, 6);
  await page.waitForFunction((text) => document.querySelector('#proposals').textContent === text, 'no proposals waiting');
  const csv = await fetch(`http://127.0.0.1:${server.port}/api/videos/${video.id}/export/labels.csv`);
  assert.equal(csv.headers.get('x-unconfirmed-bouts-skipped'), '0');
  assert.match(await csv.text(), /\n7,0\.233333,1,rearing\n/);
  for (const b of all) assert.equal((await api(server.port, `/api/bouts/${b.id}?version=${b.version}`, { method: 'DELETE' })).status, 204);
  await page.close();
});

test('two tabs on one frame: the second writer gets 409, reloads and is told', async () => {
  const pageA = await openApp(browser.context, server.port);
  const pageB = await openApp(browser.context, server.port);
  await openPosition(pageA, 5);
  await openPosition(pageB, 5);
  await drag(pageA, [20, 20], [80, 70]);
  await waitSaved(pageA);
  await drag(pageB, [200, 150], [300, 220]);
  await pageB.waitForFunction(() => document.querySelector('#message').dataset.kind === 'conflict');
  assert.match(await pageB.locator('#message').textContent(), /Someone else .* saved this frame first/);
  const saved = (await annotations(5)).instances;
  assert.equal(saved.length, 1);
  assert.ok(near(saved[0].bbox[0], 20) && near(saved[0].bbox[2], 80), 'the first writer kept its box');
  await pageB.waitForFunction(() => bt.model.instances.length === 1 && Math.abs(bt.model.instances[0].bbox[0] - 20) <= 1);
  assert.equal(await pageB.locator('.frame-row[data-position="5"].state-started').count(), 1, 'the list shows the reloaded state');
  await screenshot(pageB, 'conflict');
  await pageA.close();
  await pageB.close();
});

test('server unreachable: the UI says so, keeps the edit and saves it when the server is back', async () => {
  const page = await openApp(browser.context, server.port);
  await openPosition(page, 6);
  const port = server.port;
  await kill9(server);
  server = null;
  await drag(page, [30, 30], [90, 90]);
  await page.waitForFunction(() => document.querySelector('#save-status').dataset.state === 'offline');
  assert.match(await page.locator('#save-status').textContent(), /Server unreachable/);
  await screenshot(page, 'offline');
  server = await startServer(path.join(dir, 'p'), port);
  await waitSaved(page);
  const saved = (await annotations(6)).instances;
  assert.equal(saved.length, 1);
  assert.ok(near(saved[0].bbox[0], 30) && near(saved[0].bbox[3], 90));
  await page.close();
});
