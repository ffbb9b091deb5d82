// Browser test of the tracks overlay: `behavtrack annotate DIR --tracks tracks.json` draws
// each tracked mouse over the video frame in the behaviour view, in the colour of its
// "Mouse k" button; O hides it; clicking a box picks that mouse. Debian's Chromium
// (headless, playwright-core) against the real server; screenshots go to $BT_TEST_OUTPUT.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { api, launchBrowser, makeProject, openApp, screenshot, startServer, tempDir } from './harness.mjs';

let dir;
let server;
let browser;

before(async () => {
  dir = tempDir('bt-e2e-tracks-');
  const tracks = path.join(dir, 'tracks.json');
  // 110 sampled frames, stride 3: a 330-frame video, so the tracks come in 3 chunks.
  makeProject(path.join(dir, 'p'), ['--frames', '110', '--predicted', '0', '--animals', '2', '--tracks', tracks]);
  server = await startServer(path.join(dir, 'p'), 0, ['--tracks', tracks]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

// Image pixel -> page coordinates over the frame, computed here from the <img> box and the
// video size (object-fit: contain), independently of the app's own mapping.
async function framePoint(page, video, x, y) {
  const box = await page.locator('#video-frame').boundingBox();
  const scale = Math.min(box.width / video.width, box.height / video.height);
  return {
    x: box.x + (box.width - video.width * scale) / 2 + x * scale,
    y: box.y + (box.height - video.height * scale) / 2 + y * scale,
  };
}

// The overlay's colour at a page point, as [r, g, b, a].
async function overlayPixel(page, point) {
  const canvas = await page.locator('#video-overlay').boundingBox();
  return page.evaluate(([x, y]) => {
    const c = document.querySelector('#video-overlay');
    const dpr = c.width / c.clientWidth;
    return [...c.getContext('2d').getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data];
  }, [point.x - canvas.x, point.y - canvas.y]);
}

test('tracked mice are drawn in their colours, O hides them, a click on a box picks the mouse', async () => {
  const video = (await api(server.port, '/api/videos')).body.videos[0];
  assert.deepEqual(video.tracks.ids, [1, 2]);
  const page = await openApp(browser.context, server.port);
  const trackRequests = [];
  page.on('request', (r) => r.url().includes('/tracks?') && trackRequests.push(r.url()));
  await page.locator('[data-mode="video"]').click();
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '0');
  assert.match(await page.locator('#tracks-status').textContent(), /tracks\.json: mice 1, 2/);

  const colours = await page.evaluate(async () => (await import('/js/overlay.js')).MOUSE_COLOURS);
  const instances = (await api(server.port, `/api/videos/${video.id}/tracks?from=0`)).body.frames[0].instances;
  assert.deepEqual(instances.map((i) => i.id).sort(), [1, 2]);
  const rightEdge = async (inst) => framePoint(page, video, inst.bbox[2], (inst.bbox[1] + inst.bbox[3]) / 2);
  for (const inst of instances) {
    const pixel = await overlayPixel(page, await rightEdge(inst));
    assert.deepEqual(pixel, [...rgb(colours[inst.id - 1]), 255], `mouse ${inst.id}'s box edge is drawn in its colour`);
    const swatch = await page.locator(`#mice [data-track="${inst.id}"] .swatch`).evaluate((e) => getComputedStyle(e).backgroundColor);
    assert.equal(swatch, `rgb(${rgb(colours[inst.id - 1]).join(', ')})`, `button Mouse ${inst.id} has the same colour`);
  }
  assert.notDeepEqual(colours[0], colours[1]);
  assert.deepEqual(await page.evaluate(() => bt.video.overlay.labelsDrawn.sort()), ['Mouse 1', 'Mouse 2']);

  // A click on the left-hand mouse (track id 2) picks Mouse 2, on the right-hand one Mouse 1.
  const byId = Object.fromEntries(instances.map((i) => [i.id, i]));
  const centre = (inst) => framePoint(page, video, (inst.bbox[0] + inst.bbox[2]) / 2, (inst.bbox[1] + inst.bbox[3]) / 2 + 10);
  assert.ok(byId[2].bbox[2] < byId[1].bbox[0], 'id 2 is the left-hand mouse');
  let p = await centre(byId[2]);
  await page.mouse.click(p.x, p.y);
  await page.waitForFunction(() => bt.video.track === 2 && document.querySelector('#mice [data-track="2"]').classList.contains('active'));
  p = await centre(byId[1]);
  await page.mouse.click(p.x, p.y);
  await page.waitForFunction(() => bt.video.track === 1);

  // Mouse 1's label carries the behaviour being recorded, then the bout's.
  await page.keyboard.press('2'); // rearing starts at frame 0
  await page.waitForFunction(() => bt.video.overlay.labelsDrawn.includes('Mouse 1 · ● rearing'));
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('2'); // ... stops at frame 3: frames 0..2
  await page.waitForFunction(() => bt.video.open.size === 0 && bt.video.bouts[0]?.end_frame === 2);
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '2');
  assert.deepEqual(await page.evaluate(() => bt.video.overlay.labelsDrawn.sort()), ['Mouse 1 · rearing', 'Mouse 2']);
  const shot = await screenshot(page, 'video-tracks');

  // O hides the overlay (and its clicks); O again shows it.
  await page.keyboard.press('o');
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '');
  const hiddenAt = (await api(server.port, `/api/videos/${video.id}/tracks?from=2`)).body.frames[0].instances[0];
  assert.deepEqual(await overlayPixel(page, await rightEdge(hiddenAt)), [0, 0, 0, 0]);
  await screenshot(page, 'video-tracks-hidden');
  p = await centre(byId[2]);
  await page.mouse.click(p.x, p.y);
  assert.equal(await page.evaluate(() => bt.video.track), 1, 'a hidden box is not clickable');
  await page.keyboard.press('o');
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '2');

  // The tracks come in chunks of 150 frames, asked ahead of the playhead (two chunks, so
  // all three at frame 0 here) and each asked once, wherever the playhead goes.
  for (let i = 0; i < 100 && trackRequests.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
  const asked = trackRequests.map((url) => url.split('?')[1]);
  assert.deepEqual(asked, ['from=0&to=149', 'from=150&to=299', 'from=300&to=329']);
  await page.keyboard.press('Shift+ArrowRight');
  await page.keyboard.press('Shift+ArrowRight');
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '22');
  await page.evaluate(() => bt.video.seek(320));
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '320');
  await page.evaluate(() => bt.video.seek(160));
  await page.waitForFunction(() => document.body.dataset.overlayFrame === '160');
  assert.equal(trackRequests.length, 3, `tracks requests: ${trackRequests.join(' ')}`);

  // H shows the help in this mode too, with the overlay's key.
  await page.keyboard.press('h');
  assert.ok((await page.locator('#help').textContent()).includes('O shows or hides the tracks overlay'));
  await page.keyboard.press('h');
  console.log(`screenshot: ${shot}`);
  await page.close();
});
