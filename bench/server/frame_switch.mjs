// Frame-switch latency of the annotation app on a big project, measured in Chromium:
// from asking for a frame to its image and annotations being drawn (App.openPosition).
//   node frame_switch.mjs PORT OUT.json [N]
// Runs: stepping to the next frame (as with → or D; the app prefetches ahead), back to back
// and with a 150 ms look at each frame in between; opening a
// listed frame anywhere in the list (as a click on a row: its list page is loaded first,
// as scrolling there does, and not timed); loading a list page at a random offset (what
// scrolling far costs); stepping in "incomplete first" order. Prints p50/p95 per run.
import fs from 'node:fs';
import { launchBrowser, openApp } from '../../tests/e2e/harness.mjs';

const [port, out, n = '200'] = process.argv.slice(2);
const count = Number(n);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(page, name, positions, what = 'open', dwellMs = 0) {
  const times = await page.evaluate(async ({ list, what, dwellMs }) => {
    const t = [];
    for (const p of list) {
      if (dwellMs) await new Promise((r) => setTimeout(r, dwellMs));
      if (what === 'open-listed') await bt.list.rowAt(p);
      if (what === 'page') bt.list.pages.clear(); // a cold page every time
      const start = performance.now();
      if (what === 'page') await bt.list.rowAt(p);
      else await bt.openPosition(p);
      t.push(performance.now() - start);
    }
    return t;
  }, { list: positions, what, dwellMs });
  times.sort((a, b) => a - b);
  const r = { run: name, n: times.length, p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times[times.length - 1] };
  console.log(`${name}: n=${r.n} p50=${r.p50_ms.toFixed(1)} ms p95=${r.p95_ms.toFixed(1)} ms max=${r.max_ms.toFixed(1)} ms`);
  return r;
}

const browser = await launchBrowser();
try {
  const page = await openApp(browser.context, Number(port));
  const total = await page.evaluate(() => bt.list.total);
  const start = Math.floor(total / 2);
  const results = [];
  results.push(await measure(page, 'next frame, back to back', Array.from({ length: count }, (_, i) => start + i + 1)));
  // A person looks at each frame for a while; 150 ms is a fast one.
  results.push(await measure(page, 'next frame, 150 ms dwell', Array.from({ length: count }, (_, i) => start + count + i + 1), 'open', 150));
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const randomPositions = () => Array.from({ length: count }, () => Math.floor(random() * total));
  results.push(await measure(page, 'open a listed frame anywhere', randomPositions(), 'open-listed'));
  results.push(await measure(page, 'list page load at a random offset', randomPositions(), 'page'));
  await page.evaluate(() => bt.refilter({ sort: 'incomplete_first' }));
  results.push(await measure(page, 'next frame, incomplete first', Array.from({ length: count }, (_, i) => i + 1)));
  fs.writeFileSync(out, JSON.stringify({ frames: total, results }, null, 2));
} finally {
  await browser.close();
}
