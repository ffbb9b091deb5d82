// Test harness for the browser tests: a fixture project, a real `behavtrack annotate`
// process and Debian's Chromium driven by playwright-core. Paths come from the environment
// that tests/server/tests.cmake sets: BT_CLI, BT_FIXTURE, BT_TEST_OUTPUT.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const env = {
  cli: process.env.BT_CLI,
  fixture: process.env.BT_FIXTURE,
  output: process.env.BT_TEST_OUTPUT ?? path.join(os.tmpdir(), 'bt-e2e-output'),
  chromium: process.env.BT_CHROMIUM ?? '/usr/bin/chromium',
};

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function makeProject(dir, args = []) {
  const r = spawnSync(env.fixture, [dir, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fixture failed: ${r.stderr}`);
  return dir;
}

// Starts `behavtrack annotate DIR --port P extra...` (port 0: any) and resolves with
// {port, child}.
export function startServer(project, port = 0, extra = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(env.cli, ['annotate', project, '--port', String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`annotate did not start: ${out} ${err}`)), 20000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/[^:]+:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child });
      }
    });
    child.on('exit', (code) => reject(new Error(`annotate exited ${code}: ${err}`)));
  });
}

export function kill9(server) {
  return new Promise((resolve) => {
    server.child.removeAllListeners('exit');
    server.child.on('exit', resolve);
    server.child.kill('SIGKILL');
  });
}

export async function launchBrowser() {
  const profile = tempDir('bt-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env.chromium,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return { context, close: async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); } };
}

export async function openApp(context, port) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 20000 });
  return page;
}

export async function screenshot(page, name) {
  fs.mkdirSync(env.output, { recursive: true });
  const file = path.join(env.output, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// Image pixel -> page coordinates, from the view's scale and offset (the app's own
// mapping is what is under test, so this one is computed here independently).
export async function imageToPage(page, x, y) {
  const v = await page.evaluate(() => ({ scale: bt.view.scale, ox: bt.view.offsetX, oy: bt.view.offsetY }));
  const box = await page.locator('#canvas').boundingBox();
  return { x: box.x + v.ox + x * v.scale, y: box.y + v.oy + y * v.scale, scale: v.scale };
}

export async function waitSaved(page) {
  await page.waitForFunction(() => bt.saver.pendingCount() === 0 && document.querySelector('#save-status').dataset.state === 'saved', null, { timeout: 15000 });
}

export async function openPosition(page, position) {
  await page.evaluate((p) => bt.openPosition(p), position);
  await page.waitForFunction((p) => bt.position === p, position);
}

export async function api(port, route, init) {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, init);
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

export async function frameAt(port, position) {
  return (await api(port, `/api/frames?offset=${position}&limit=1`)).body.frames[0];
}
