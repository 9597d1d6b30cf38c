// Browser tests of <gj-aoi-map> and <gj-footprints-map> in headless Chromium, offline, under
// the same CSP as the geojobs server. Screenshots go to test/out/.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {mkdir, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {start} from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(here, 'out');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const R = 6371008.8;
const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';

let server;
let browser;
const problems = []; // CSP violations, page errors, console errors from every page

before(async () => {
  await mkdir(outDir, {recursive: true});
  server = await start({
    '/data/footprints.geojson': {type: 'application/geo+json', body: JSON.stringify({type: 'FeatureCollection', features: [
      {type: 'Feature', id: 'a', properties: {title: 'Scene A'}, geometry: {type: 'Polygon', coordinates: [[[9.5, 44.5], [11.5, 44.5], [11.5, 46.5], [9.5, 46.5], [9.5, 44.5]]]}},
      {type: 'Feature', id: 'b', properties: {title: 'Scene B'}, geometry: {type: 'Polygon', coordinates: [[[11, 45], [12.5, 45], [12.5, 47], [11, 47], [11, 45]]]}},
    ]})},
  });
  browser = await chromium.launch({executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu',
    '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']});
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens a page with OSM blocked (as offline) and problem collectors. */
async function open(pathname, {colorScheme = 'light', width = 1000, height = 2600} = {}) {
  const page = await browser.newPage({viewport: {width, height}, colorScheme});
  const osm = [];
  await page.route('https://tile.openstreetmap.org/**', (r) => {
    osm.push(r.request().url());
    return r.abort('internetdisconnected');
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  page.on('pageerror', (e) => problems.push(`${pathname}: page error: ${e.message}`));
  page.on('console', (m) => {
    const where = m.location().url || '';
    // the blocked OSM probe tile is expected to fail
    if (m.type() === 'error' && !where.startsWith('https://tile.openstreetmap.org/')) {
      problems.push(`${pathname}: console ${m.type()}: ${m.text()} (${where})`);
    }
  });
  await page.goto(server.url + pathname);
  await page.waitForFunction(() => customElements.get('gj-aoi-map') && customElements.get('gj-footprints-map'));
  page.osm = osm;
  return page;
}

/** Waits until the map's canvases have drawn the land layer, then returns pixel counts. */
async function waitDrawn(page, sel) {
  await page.waitForFunction((s) => {
    const m = document.querySelector(s);
    return m.map && m.map.getAllLayers().some((l) => l.get('name') === 'natural-earth' && l.getSource().getFeatures().length > 0);
  }, sel);
  await page.waitForTimeout(300);
  return page.evaluate((s) => {
    const m = document.querySelector(s);
    m.map.renderSync();
    let painted = 0;
    let total = 0;
    const colours = new Set();
    for (const c of m.querySelectorAll('canvas')) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < d.length; i += 16) {
        total++;
        if (d[i + 3] > 0) {
          painted++;
          colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        }
      }
    }
    return {painted, total, colours: colours.size};
  }, sel);
}

function boxKm2([minx, miny, maxx, maxy]) {
  const rad = Math.PI / 180;
  return R * R * (maxx - minx) * rad * (Math.sin(maxy * rad) - Math.sin(miny * rad)) / 1e6;
}

/** The lon/lat box a field value holds, in any format. */
function fieldBox(value, format) {
  if (format === 'bbox-string') {
    return value.split(',').map(Number);
  }
  const o = JSON.parse(value);
  if (format === 'ogc-bbox') {
    assert.equal(o.crs, CRS84);
    return o.bbox;
  }
  const g = format === 'geojson-feature' ? (assert.equal(o.type, 'Feature'), o.geometry) : o;
  assert.equal(g.type, 'Polygon');
  const xs = g.coordinates[0].map((p) => p[0]);
  const ys = g.coordinates[0].map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

async function countEvents(page, fieldSel) {
  await page.evaluate((s) => {
    const f = document.querySelector(s);
    window.__events = [];
    for (const t of ['input', 'change']) {
      document.addEventListener(t, (e) => e.target === f && window.__events.push(t), {once: false});
    }
  }, fieldSel);
}

function assertClose(actual, expected, tol, msg) {
  assert.equal(actual.length, expected.length, msg);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol, `${msg}: [${actual}] vs [${expected}]`));
}

test('renders offline: country outlines drawn, OSM probe blocked, no online layer', async () => {
  const page = await open('/static/map/demo.html');
  const px = await waitDrawn(page, 'gj-aoi-map[for="aoi-geojson-feature"]');
  // World view: land and water both present, with borders.
  assert.ok(px.painted / px.total > 0.15 && px.painted / px.total < 0.9, JSON.stringify(px));
  assert.ok(px.colours >= 2, JSON.stringify(px));
  // The blocked probe makes the map say it is offline (F-13), and adds no online layer.
  await page.waitForSelector('gj-aoi-map[for="aoi-geojson-feature"][data-tiles="offline"] .gj-map-view [data-testid=map-offline]');
  assert.ok(page.osm.length >= 1, 'the OSM probe was attempted');
  assert.equal(await page.locator('gj-aoi-map[data-tiles="online"]').count(), 0);
  assert.match(await page.textContent('gj-aoi-map[for="aoi-geojson-feature"] [data-testid=map-offline]'),
    /^Offline map: the online tiles from tile\.openstreetmap\.org did not load\.$/);
  await page.screenshot({path: path.join(outDir, 'demo-light.png'), fullPage: true});
  await page.close();
});

for (const format of ['bbox-string', 'ogc-bbox', 'geojson-geometry', 'geojson-feature']) {
  test(`${format}: drawing a box by mouse drag writes the field and dispatches input/change`, async () => {
    const page = await open('/static/map/demo.html');
    const mapSel = `gj-aoi-map[for="aoi-${format}"]`;
    const fieldSel = `#aoi-${format}`;
    await waitDrawn(page, mapSel);
    await countEvents(page, fieldSel);
    await page.click(`${mapSel} button[data-tool="box"]`);
    assert.equal(await page.getAttribute(`${mapSel} button[data-tool="box"]`, 'aria-pressed'), 'true');
    const view = await page.locator(`${mapSel} .gj-map-view`).boundingBox();
    const p1 = [view.x + view.width * 0.3, view.y + view.height * 0.3];
    const p2 = [view.x + view.width * 0.6, view.y + view.height * 0.7];
    const expected = await page.evaluate(([s, a, b, vx, vy]) => {
      const m = document.querySelector(s).map;
      const c1 = m.getCoordinateFromPixel([a[0] - vx, a[1] - vy]);
      const c2 = m.getCoordinateFromPixel([b[0] - vx, b[1] - vy]);
      const ll = (c) => {
        const lon = c[0] / 6378137 * 180 / Math.PI;
        const lat = (2 * Math.atan(Math.exp(c[1] / 6378137)) - Math.PI / 2) * 180 / Math.PI;
        return [lon, lat];
      };
      const [x1, y1] = ll(c1);
      const [x2, y2] = ll(c2);
      return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
    }, [mapSel, p1, p2, view.x, view.y]);
    await page.mouse.move(...p1);
    await page.mouse.down();
    await page.mouse.move(...p2, {steps: 10});
    await page.mouse.up();
    await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-tool') === 'modify', mapSel);
    const value = await page.inputValue(fieldSel);
    const box = fieldBox(value, format);
    const tol = (expected[2] - expected[0]) * 0.02;
    assertClose(box, expected, tol, `${format} field ${value}`);
    const extent = await page.evaluate((s) => document.querySelector(s).aoiExtent(), mapSel);
    assertClose(extent, box, 1e-6, 'aoiExtent matches the field');
    const events = await page.evaluate(() => window.__events);
    assert.deepEqual(events, ['input', 'change']);
    const area = await page.evaluate((s) => document.querySelector(s).aoiAreaKm2(), mapSel);
    assert.ok(Math.abs(area - boxKm2(box)) / boxKm2(box) < 1e-6, `area ${area} vs ${boxKm2(box)}`);
    assert.match(await page.textContent(`${mapSel} .gj-map-area`), /^Area: [\d,.\s\u202f]+ km²$/);
    await page.close();
  });
}

test('typing a bbox moves the shape and fits the view; area and warning follow warn-km2', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-bbox-string"]';
  await waitDrawn(page, m);
  await page.fill('#aoi-bbox-string', '10,20,30,40');
  assert.deepEqual(await page.evaluate((s) => document.querySelector(s).aoiExtent(), m), [10, 20, 30, 40]);
  const area = await page.evaluate((s) => document.querySelector(s).aoiAreaKm2(), m);
  assert.ok(Math.abs(area - boxKm2([10, 20, 30, 40])) < 1e-3, `area ${area}`);
  assert.ok(area > 250000);
  assert.equal(await page.isVisible(`${m} .gj-map-warn`), true);
  assert.match(await page.textContent(`${m} .gj-map-warn`), /above 250,000 km²/);
  assert.equal(await page.getAttribute(m, 'data-warning'), '');
  await page.fill('#aoi-bbox-string', '10,20,11,21');
  assert.equal(await page.isVisible(`${m} .gj-map-warn`), false);
  // change (blur) fits the view to the shape
  await page.dispatchEvent('#aoi-bbox-string', 'change');
  const center = await page.evaluate((s) => {
    const v = document.querySelector(s).map.getView();
    const c = v.getCenter();
    return [c[0] / 6378137 * 180 / Math.PI, v.getZoom()];
  }, m);
  assert.ok(Math.abs(center[0] - 10.5) < 0.05 && center[1] > 6, `view ${center}`);
  await page.close();
});

test('invalid text shows a message, marks the field invalid, keeps the last shape', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-bbox-string"]';
  await waitDrawn(page, m);
  const before = await page.evaluate((s) => document.querySelector(s).aoiExtent(), m);
  await page.fill('#aoi-bbox-string', '-121.399,39.834,abc');
  assert.equal(await page.isVisible(`${m} .gj-map-error`), true);
  assert.match(await page.textContent(`${m} .gj-map-error`), /four numbers/);
  assert.equal(await page.getAttribute('#aoi-bbox-string', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.getElementById('aoi-bbox-string').validity.customError), true);
  assert.match(await page.getAttribute('#aoi-bbox-string', 'aria-describedby'), /gj-aoi-\d+-error/);
  assert.deepEqual(await page.evaluate((s) => document.querySelector(s).aoiExtent(), m), before);
  await page.fill('#aoi-geojson-feature', '{"type":"Polygon","coordinates":[]}');
  assert.match(await page.textContent('gj-aoi-map[for="aoi-geojson-feature"] .gj-map-error'), /Expected a GeoJSON Feature, got a Polygon/);
  await page.fill('#aoi-bbox-string', '1,2,3,4');
  assert.equal(await page.isVisible(`${m} .gj-map-error`), false);
  assert.equal(await page.getAttribute('#aoi-bbox-string', 'aria-invalid'), null);
  assert.equal(await page.evaluate(() => document.getElementById('aoi-bbox-string').validity.valid), true);
  await page.close();
});

const FC = JSON.stringify({type: 'FeatureCollection', features: [
  {type: 'Feature', properties: {}, geometry: {type: 'Point', coordinates: [0, 0]}},
  {type: 'Feature', properties: {name: 'lake'}, geometry: {type: 'Polygon', coordinates: [[[7, 46], [8, 46], [7.5, 47], [7, 46]]]}},
]});

test('GeoJSON paste on the map and into the field is converted to the field format', async () => {
  const page = await open('/static/map/demo.html');
  await waitDrawn(page, 'gj-aoi-map[for="aoi-bbox-string"]');
  const paste = (sel, text) => page.evaluate(([s, t]) => {
    const dt = new DataTransfer();
    dt.setData('text/plain', t);
    const target = document.querySelector(s);
    if (target.select) {
      target.select();
    }
    target.dispatchEvent(new ClipboardEvent('paste', {clipboardData: dt, bubbles: true, cancelable: true}));
  }, [sel, text]);
  await countEvents(page, '#aoi-bbox-string');
  await paste('gj-aoi-map[for="aoi-bbox-string"] .gj-map-view', FC);
  assert.equal(await page.inputValue('#aoi-bbox-string'), '7,46,8,47');
  assert.deepEqual(await page.evaluate(() => window.__events), ['input', 'change']);
  // a FeatureCollection pasted over a geojson-feature field becomes its first polygon Feature
  await paste('#aoi-geojson-feature', FC);
  const f = JSON.parse(await page.inputValue('#aoi-geojson-feature'));
  assert.deepEqual(f, {type: 'Feature', properties: {name: 'lake'}, geometry: {type: 'Polygon', coordinates: [[[7, 46], [8, 46], [7.5, 47], [7, 46]]]}});
  // a polygon pasted into the ogc-bbox map gives its extent
  await paste('gj-aoi-map[for="aoi-ogc-bbox"] .gj-map-view', '{"type":"Polygon","coordinates":[[[1,2],[3,2],[2,5],[1,2]]]}');
  assert.deepEqual(JSON.parse(await page.inputValue('#aoi-ogc-bbox')), {bbox: [1, 2, 3, 5], crs: CRS84});
  // nonsense pasted on the map: a message, the field unchanged
  await paste('gj-aoi-map[for="aoi-ogc-bbox"] .gj-map-view', 'hello');
  assert.match(await page.textContent('gj-aoi-map[for="aoi-ogc-bbox"] .gj-map-error'), /Could not read the pasted text/);
  assert.deepEqual(JSON.parse(await page.inputValue('#aoi-ogc-bbox')).bbox, [1, 2, 3, 5]);
  await page.close();
});

test('GeoJSON upload through the file input', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-geojson-geometry"]';
  await waitDrawn(page, m);
  await page.setInputFiles(`${m} input[type=file]`, {name: 'aoi.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(FC)});
  await page.waitForFunction(() => document.getElementById('aoi-geojson-geometry').value.includes('[7.5,47]'));
  assert.deepEqual(JSON.parse(await page.inputValue('#aoi-geojson-geometry')), {type: 'Polygon', coordinates: [[[7, 46], [8, 46], [7.5, 47], [7, 46]]]});
  await page.setInputFiles(`${m} input[type=file]`, {name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from('{"type":"FeatureCollection","features":[]}')});
  await page.waitForFunction((s) => !document.querySelector(s + ' .gj-map-error').hidden, m);
  assert.match(await page.textContent(`${m} .gj-map-error`), /bad\.json.*no feature/);
  await page.close();
});

test('polygon by clicks, then Clear; keyboard zoom and pan on the focused map', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-geojson-geometry"]';
  await waitDrawn(page, m);
  await page.click(`${m} button[data-tool="polygon"]`);
  const v = await page.locator(`${m} .gj-map-view`).boundingBox();
  for (const [fx, fy] of [[0.3, 0.3], [0.7, 0.35], [0.5, 0.8]]) {
    await page.mouse.click(v.x + v.width * fx, v.y + v.height * fy);
    await page.waitForTimeout(300); // not a double click
  }
  await page.keyboard.press('Enter');
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-tool') === 'modify', m);
  const g = JSON.parse(await page.inputValue('#aoi-geojson-geometry'));
  assert.equal(g.type, 'Polygon');
  assert.equal(g.coordinates[0].length, 4);
  assert.deepEqual(g.coordinates[0][0], g.coordinates[0][3]);

  await page.click(`${m} button[data-tool="clear"]`);
  assert.equal(await page.inputValue('#aoi-geojson-geometry'), '');
  assert.equal(await page.evaluate((s) => document.querySelector(s).aoiExtent(), m), null);
  assert.match(await page.textContent(`${m} .gj-map-area`), /No area of interest/);

  const view = () => page.evaluate((s) => {
    const vw = document.querySelector(s).map.getView();
    return {zoom: vw.getZoom(), x: vw.getCenter()[0]};
  }, m);
  await page.focus(`${m} .gj-map-view`);
  const z0 = await view();
  await page.keyboard.press('+');
  await page.waitForTimeout(400);
  const z1 = await view();
  assert.ok(z1.zoom > z0.zoom + 0.5, `zoom ${z0.zoom} -> ${z1.zoom}`);
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(400);
  assert.ok((await view()).x > z1.x, 'ArrowRight pans east');
  await page.close();
});

test('Modify: dragging the right edge of a box widens it and keeps it a box', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-bbox-string"]';
  await waitDrawn(page, m);
  const [minx, miny, maxx, maxy] = await page.evaluate((s) => document.querySelector(s).aoiExtent(), m);
  const v = await page.locator(`${m} .gj-map-view`).boundingBox();
  const edge = await page.evaluate(([s, x, y]) => {
    const map = document.querySelector(s).map;
    return map.getPixelFromCoordinate([x * 6378137 * Math.PI / 180, Math.log(Math.tan(Math.PI / 4 + y * Math.PI / 360)) * 6378137]);
  }, [m, maxx, (miny + maxy) / 2]);
  await page.mouse.move(v.x + edge[0], v.y + edge[1]);
  await page.mouse.down();
  await page.mouse.move(v.x + edge[0] + 40, v.y + edge[1] + 25, {steps: 8});
  await page.mouse.up();
  const b = fieldBox(await page.inputValue('#aoi-bbox-string'), 'bbox-string');
  assert.ok(b[2] > maxx + 0.01, `maxx ${maxx} -> ${b[2]}`);
  assertClose([b[0], b[1], b[3]], [minx, miny, maxy], 1e-6, 'other edges unchanged');
  await page.close();
});

test('readonly shows only Zoom to AOI; a missing field is reported', async () => {
  const page = await open('/static/map/demo.html');
  const visible = await page.$$eval('#readonly gj-aoi-map .gj-map-toolbar button', (bs) => bs.filter((b) => !b.hidden).map((b) => b.textContent));
  assert.deepEqual(visible, ['Zoom to AOI']);
  const page2 = await open('/test/tiles.html');
  assert.match(await page2.textContent('#missing .gj-map-error'), /No form field with id “nope”/);
  await page.close();
  await page2.close();
});

test('online tiles are added when the probe tile loads, with the configured attribution', async () => {
  const page = await open('/test/tiles.html');
  await page.waitForFunction(() => document.getElementById('m').getAttribute('data-tiles') === 'online');
  assert.equal(await page.locator('#m [data-testid=map-offline]').count(), 0, 'no offline note when the tiles load');
  await page.waitForFunction(() => document.querySelector('#m .ol-attribution li'));
  assert.match(await page.textContent('#m .ol-attribution'), /Test <tiles>/);
  assert.ok(server.requests.some((p) => /^\/tiles\/\d+\/\d+\/\d+\.png$/.test(p) && p !== '/tiles/0/0/0.png'), 'map tiles requested');
  assert.equal(await page.getAttribute('#fp', 'data-tiles'), null, 'tiles-url="none" stays offline');
  await page.screenshot({path: path.join(outDir, 'tiles.png')});
  await page.close();
});

test('footprints: inline data and src, AOI, titles as text on hover, select event on click', async () => {
  const page = await open('/static/map/demo.html');
  const fp = '#fp';
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-count') === '3', fp);
  await waitDrawn(page, fp);
  await page.locator(fp).scrollIntoViewIfNeeded();
  assert.equal(await page.evaluate((s) => document.querySelector(s).map.getAllLayers()
    .find((l) => l.get('name') === 'aoi').getSource().getFeatures().length, fp), 1);
  const v = await page.locator(`${fp} .gj-map-view`).boundingBox();
  const px = await page.evaluate((s) => {
    const map = document.querySelector(s).map;
    const c = [-121.1 * 6378137 * Math.PI / 180, Math.log(Math.tan(Math.PI / 4 + 40.1 * Math.PI / 360)) * 6378137];
    return map.getPixelFromCoordinate(c);
  }, fp);
  await page.evaluate(() => {
    window.__sel = null;
    document.addEventListener('gj-footprint-select', (e) => { window.__sel = e.detail; });
  });
  await page.mouse.move(v.x + px[0], v.y + px[1]);
  await page.waitForFunction((s) => !document.querySelector(s + ' .gj-map-tooltip').hidden, fp);
  const tip = await page.textContent(`${fp} .gj-map-tooltip`);
  assert.ok(['<b>water bodies</b> (title shown as text)', 'Sentinel-2B 10TFK 2024-07-01'].includes(tip), tip);
  assert.equal(await page.locator(`${fp} .gj-map-tooltip b`).count(), 0);
  await page.mouse.click(v.x + px[0], v.y + px[1]);
  await page.waitForFunction(() => window.__sel);
  assert.ok(['water-bodies', 'S2B_10TFK_20240701'].includes(await page.evaluate(() => window.__sel.id)));
  await page.screenshot({path: path.join(outDir, 'footprints.png'), clip: {x: v.x - 10, y: v.y - 60, width: v.width + 20, height: v.height + 100}});
  await page.close();

  const p2 = await open('/test/tiles.html');
  await p2.waitForFunction(() => document.getElementById('fp').getAttribute('data-count') === '2');
  assert.equal(await p2.textContent('#fp .gj-map-status'), '2 footprints. Point at or click one to see its title.');
  await p2.close();
});

test('dark colour scheme restyles the offline layer', async () => {
  const light = await open('/static/map/demo.html');
  const dark = await open('/static/map/demo.html', {colorScheme: 'dark'});
  const sel = 'gj-aoi-map[for="aoi-geojson-feature"]';
  const landColour = async (page) => {
    await waitDrawn(page, sel);
    return page.evaluate((s) => getComputedStyle(document.querySelector(s)).getPropertyValue('--gj-map-land').trim(), sel);
  };
  const l = await landColour(light);
  const d = await landColour(dark);
  assert.notEqual(l, d);
  await dark.screenshot({path: path.join(outDir, 'demo-dark.png'), fullPage: true});
  await light.close();
  await dark.close();
});

test('no CSP violations, page errors or console errors on any page', () => {
  assert.deepEqual(problems, []);
});

after(async () => {
  await writeFile(path.join(outDir, 'problems.txt'), problems.join('\n') + '\n');
});

test('with no area the map opens in Box mode; the wheel zooms without a click (F-13)', async () => {
  const page = await open('/static/map/demo.html');
  const empty = 'gj-aoi-map[for="aoi-geojson-feature"]';
  const filled = 'gj-aoi-map[for="aoi-bbox-string"]';
  await waitDrawn(page, filled);
  assert.equal(await page.getAttribute(empty, 'data-tool'), 'box');
  assert.equal(await page.getAttribute(`${empty} button[data-tool="box"]`, 'aria-pressed'), 'true');
  assert.equal(await page.getAttribute(filled, 'data-tool'), 'modify');
  // Typing an area into the empty field turns to Modify; clearing it back to Box.
  await page.fill('#aoi-geojson-feature', '{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}');
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-tool') === 'modify', empty);
  await page.click(`${empty} button[data-tool="clear"]`);
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-tool') === 'box', empty);

  const view = `${filled} .gj-map-view`;
  await page.locator(view).scrollIntoViewIfNeeded();
  const before = await page.evaluate((s) => document.querySelector(s).map.getView().getZoom(), filled);
  assert.notEqual(await page.evaluate((v) => document.activeElement === document.querySelector(v), view), true);
  const box = await page.locator(view).boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await page.waitForFunction(([s, z]) => document.querySelector(s).map.getView().getZoom() > z + 0.1, [filled, before]);
  await page.close();
});

test('the offline place search finds a city and moves the map there; Enter never submits (F-13)', async () => {
  const page = await open('/static/map/demo.html');
  const m = 'gj-aoi-map[for="aoi-ogc-bbox"]';
  await waitDrawn(page, m);
  let submitted = false;
  await page.exposeFunction('__submitted', () => { submitted = true; });
  await page.evaluate(() => document.getElementById('form-ogc-bbox').addEventListener('submit', (e) => { e.preventDefault(); window.__submitted(); }));
  await page.fill(`${m} [data-testid=place-search]`, 'zuri');
  await page.waitForFunction((s) => [...document.querySelectorAll(`${s} .gj-map-places li`)].some((li) => li.textContent === 'Zürich, CH'), m);
  await page.press(`${m} [data-testid=place-search]`, 'Enter');
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-place') === 'Zürich', m);
  const [lon, lat] = await page.evaluate((s) => {
    const v = document.querySelector(s).map.getView();
    const c = v.getCenter();
    return [c[0] / 6378137 * 180 / Math.PI, (2 * Math.atan(Math.exp(c[1] / 6378137)) - Math.PI / 2) * 180 / Math.PI];
  }, m);
  assert.ok(Math.abs(lon - 8.55) < 0.1 && Math.abs(lat - 47.37) < 0.1, `centre ${lon},${lat}`);
  await page.fill(`${m} [data-testid=place-search]`, 'switzerl');
  await page.waitForFunction((s) => document.querySelector(`${s} .gj-map-places li`)?.textContent === 'Switzerland (country)', m);
  await page.click(`${m} .gj-map-places li`);
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-place') === 'Switzerland', m);
  assert.equal(submitted, false);
  // City names are drawn once zoomed in (the places layer has features).
  await page.waitForFunction((s) => document.querySelector(s).map.getAllLayers().some((l) => l.get('name') === 'places' && l.getSource().getFeatures().length > 1000), m);
  await page.close();
});
