// Browser tests of the COG preview controls of <gj-footprints-map> (src/cog.js): the raster
// is read by range from test/data/gradient.tif (written by backend/raster, see data/gen.go),
// whose pixel (col, row) holds col + 1000·row over 10..11°E, 45..45.5°N, 1030×600 pixels.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdir, readFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {start} from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const W = 1030;
const H = 600;

let server;
let browser;

before(async () => {
  await mkdir(outDir, {recursive: true});
  const footprint = {type: 'Polygon', coordinates: [[[10, 45], [11, 45], [11, 45.5], [10, 45.5], [10, 45]]]};
  server = await start({
    '/data/gradient.tif': {type: 'image/tiff', body: await readFile(path.join(here, 'data/gradient.tif'))},
    '/data/red.tif': {type: 'image/tiff', body: await readFile(path.join(here, 'data/red.tif'))},
    '/data/green.tif': {type: 'image/tiff', body: await readFile(path.join(here, 'data/green.tif'))},
    '/data/blue.tif': {type: 'image/tiff', body: await readFile(path.join(here, 'data/blue.tif'))},
    '/data/rgb.geojson': {type: 'application/geo+json', body: JSON.stringify({type: 'FeatureCollection', features: [
      {type: 'Feature', id: 's', properties: {'title': 'Scene', 'data-cog': '/data/blue.tif', 'data-cog-bands': [
        {name: 'blue', url: '/data/blue.tif', min: 0, max: 255}, {name: 'green', url: '/data/green.tif', min: 0, max: 255},
        {name: 'red', url: '/data/red.tif', min: 0, max: 255}]}, geometry: footprint},
    ]})},
    '/data/cog.geojson': {type: 'application/geo+json', body: JSON.stringify({type: 'FeatureCollection', features: [
      {type: 'Feature', id: 'g', properties: {'title': 'Gradient', 'data-cog': '/data/gradient.tif', 'data-cog-min': 0, 'data-cog-max': 600000},
        geometry: footprint},
    ]})},
  });
  // WebGL without a GPU: SwiftShader, which Chromium now enables only on request.
  browser = await chromium.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']});
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPreview(page_ = '/test/cog.html') {
  const page = await browser.newPage({viewport: {width: 900, height: 800}});
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && !(m.location().url || '').endsWith('/favicon.ico') &&
    problems.push(`console: ${m.text()} (${m.location().url})`));
  page.problems = problems;
  await page.goto(server.url + page_);
  await page.waitForSelector('gj-footprints-map[data-previews-ready="1"]', {timeout: 20000});
  await rendered(page);
  return page;
}

/** Waits for the map to finish drawing (all tiles loaded). */
async function rendered(page) {
  await page.evaluate(() => new Promise((resolve) => {
    const m = document.getElementById('fp').map;
    m.once('rendercomplete', () => resolve());
    m.render();
  }));
}

/** The preview layer's drawn pixels, sampled on a grid: a fingerprint of what is shown. */
async function drawn(page) {
  await rendered(page);
  return page.evaluate(() => {
    const el = document.getElementById('fp');
    el.map.renderSync();
    const out = document.createElement('canvas');
    const view = el.querySelector('.gj-map-view');
    out.width = view.clientWidth;
    out.height = view.clientHeight;
    const ctx = out.getContext('2d');
    for (const c of view.querySelectorAll('canvas')) {
      if (c.width > 0 && c.height > 0) {
        ctx.drawImage(c, 0, 0, out.width, out.height);
      }
    }
    const d = ctx.getImageData(0, 0, out.width, out.height).data;
    const px = [];
    for (let y = 20; y < out.height; y += 40) {
      for (let x = 20; x < out.width; x += 40) {
        const i = (y * out.width + x) * 4;
        px.push(d[i], d[i + 1], d[i + 2]);
      }
    }
    return px;
  });
}

function differs(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (Math.abs(a[i] - b[i]) > 8) {
      n++;
    }
  }
  return n;
}

test('switching the ramp or the stretch changes the pixels drawn; the legend follows', async () => {
  const page = await openPreview();
  const viridis = await drawn(page);
  assert.equal(await page.getAttribute('[data-testid=cog-controls]', 'data-ramp'), 'viridis');
  assert.equal(await page.textContent('[data-tick=max]'), '600000');
  // A colour ramp, not grey: some sampled pixel has r, g and b far apart.
  assert.ok(viridis.some((v, i) => i % 3 === 0 && Math.abs(viridis[i] - viridis[i + 1]) > 40), 'viridis is coloured');

  await page.selectOption('[name=ramp]', 'greys');
  const greys = await drawn(page);
  assert.ok(differs(viridis, greys) > viridis.length / 4, 'greys draws other colours');
  for (let i = 0; i < greys.length; i += 3) {
    if (greys[i] + greys[i + 1] + greys[i + 2] > 0) {
      assert.ok(Math.abs(greys[i] - greys[i + 1]) <= 12 && Math.abs(greys[i + 1] - greys[i + 2]) <= 12, `grey pixel ${greys.slice(i, i + 3)}`);
    }
  }

  await page.fill('[name=min]', '200000');
  await page.dispatchEvent('[name=min]', 'change');
  const manual = await drawn(page);
  assert.equal(await page.inputValue('[name=stretch]'), 'manual');
  assert.equal(await page.textContent('[data-tick=min]'), '200000');
  assert.ok(differs(greys, manual) > 0, 'a manual stretch redraws');

  await page.selectOption('[name=stretch]', 'percentile');
  await page.waitForFunction(() => document.querySelector('[name=min]').value !== '200000');
  const pct = await drawn(page);
  const [lo, hi] = [Number(await page.inputValue('[name=min]')), Number(await page.inputValue('[name=max]'))];
  // The 2–98 % range of the gradient in view lies inside its 0..600029 range, well away from both ends.
  assert.ok(lo > 1000 && hi < 599000 && lo < hi, `percentile stretch ${lo}..${hi}`);
  assert.ok(differs(manual, pct) > 0, 'a percentile stretch redraws');

  await page.selectOption('[name=ramp]', 'diverging');
  assert.ok(differs(pct, await drawn(page)) > 0, 'the diverging ramp redraws');
  await page.screenshot({path: path.join(outDir, 'cog-controls.png')});
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('a click shows the value the COG holds there, at full resolution and from an overview', async () => {
  const page = await openPreview();
  for (const zoomIn of [3, 0]) {
    await page.evaluate((z) => {
      const v = document.getElementById('fp').map.getView();
      v.setZoom(v.getZoom() + z);
    }, zoomIn);
    await rendered(page);
    const box = await page.locator('.gj-map-view').boundingBox();
    for (const [fx, fy] of [[0.5, 0.5], [0.37, 0.61]]) {
      const px = [Math.round(box.width * fx), Math.round(box.height * fy)];
      await page.mouse.click(box.x + px[0], box.y + px[1]);
      await page.waitForFunction(() => document.querySelector('[data-testid=cog-value]').dataset.value !== undefined);
      const got = await page.evaluate(() => {
        const o = document.querySelector('[data-testid=cog-value]');
        const v = o.dataset.value;
        delete o.dataset.value;
        return {value: Number(v), text: o.textContent};
      });
      // Where the click fell, in the COG's pixels (and in the overview's, when zoomed out).
      const {lon, lat, res} = await page.evaluate((p) => {
        const m = document.getElementById('fp').map;
        const c = m.getCoordinateFromPixel(p);
        const [x, y] = [c[0] / 6378137 * 180 / Math.PI, (2 * Math.atan(Math.exp(c[1] / 6378137)) - Math.PI / 2) * 180 / Math.PI];
        return {lon: x, lat: y, res: m.getView().getResolution()};
      }, px);
      const col = Math.floor((lon - 10) / (1 / W));
      const row = Math.floor((45.5 - lat) / (0.5 / H));
      const want = col + 1000 * row;
      if (zoomIn === 3) {
        // Full resolution: exactly the pixel's value (a neighbour only on a pixel's edge).
        const ok = [0, 1, -1, 1000, -1000].some((d) => got.value === want + d);
        assert.ok(ok, `clicked ${lon.toFixed(6)},${lat.toFixed(6)} (col ${col}, row ${row}): got ${got.value}, want ${want}; ${got.text}`);
      } else {
        // An overview pixel holds the value of a full-resolution pixel near the click.
        const c = got.value % 1000;
        const r = Math.round((got.value - c) / 1000);
        assert.ok(Math.abs(c - col) <= 4 && Math.abs(r - row) <= 4, `overview value ${got.value} far from col ${col} row ${row} (resolution ${res})`);
      }
      assert.match(got.text, /^Value at \d+\.\d+°E \d+\.\d+°N: \d+$/);
    }
  }
  await page.mouse.click(5, 5);
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('an item with red, green and blue assets shows as an RGB composite; bands can be chosen', async () => {
  const page = await openPreview('/test/cog-rgb.html');
  assert.equal(await page.inputValue('[name=mode]'), 'rgb');
  assert.deepEqual(await Promise.all(['r', 'g', 'b'].map(async (n) => page.locator(`[name=${n}] option:checked`).textContent())), ['red', 'green', 'blue']);
  const rgb = await drawn(page);
  // red grows eastwards, green southwards, blue is constant: compare two pixels of the grid.
  const box = await page.locator('.gj-map-view').boundingBox();
  await page.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.5);
  await page.waitForFunction(() => document.querySelector('[data-testid=cog-value]').dataset.value !== undefined);
  assert.match(await page.textContent('[data-testid=cog-value]'), /: red: \d+, green: \d+, blue: 128$/);
  await page.selectOption('[name=mode]', 'single');
  await page.selectOption('[name=band]', {label: 'red'});
  const red = await drawn(page);
  assert.ok(differs(rgb, red) > rgb.length / 4, 'one band with a ramp draws other colours than the composite');
  await page.mouse.click(box.x + box.width * 0.7, box.y + box.height * 0.5);
  await page.waitForFunction(() => /\(red\)$/.test(document.querySelector('[data-testid=cog-value]').textContent));
  assert.deepEqual(page.problems, []);
  await page.close();
});
