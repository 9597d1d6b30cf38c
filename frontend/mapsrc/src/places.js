// The offline gazetteer: country names (Natural Earth, from the base map's data) and the
// world's larger cities (places.json, written by build.mjs). Loaded once per page, when a
// search or the labels first need it.
import {feature as topoFeature} from 'topojson-client';

const PLACES = new URL('./places.json', import.meta.url).href;
const COUNTRIES = new URL('./countries-110m.json', import.meta.url).href;

/** Folds case and accents: "Zürich" and "zurich" match. */
export function fold(s) {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

/** The lon/lat extent of a GeoJSON geometry's positions. */
function extentOf(g) {
  const e = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      e[0] = Math.min(e[0], c[0]);
      e[1] = Math.min(e[1], c[1]);
      e[2] = Math.max(e[2], c[0]);
      e[3] = Math.max(e[3], c[1]);
      return;
    }
    c.forEach(walk);
  };
  walk(g.coordinates);
  return e;
}

/**
 * Builds the gazetteer from the cities ([name, country code, lon, lat], largest first)
 * and the countries (a GeoJSON FeatureCollection with properties.name).
 * @return {Array<{name: string, kind: string, where: string, lon: number, lat: number, extent: (Array<number>|undefined), key: string}>}
 */
export function gazetteer(cities, countries) {
  const out = [];
  for (const f of countries.features || []) {
    const name = f.properties && f.properties.name;
    if (!name || !f.geometry) {
      continue;
    }
    const extent = extentOf(f.geometry);
    out.push({name, kind: 'country', where: 'country', lon: (extent[0] + extent[2]) / 2, lat: (extent[1] + extent[3]) / 2,
      extent, key: fold(name)});
  }
  for (const [name, cc, lon, lat] of cities) {
    out.push({name, kind: 'city', where: cc, lon, lat, key: fold(name)});
  }
  return out;
}

/**
 * The places matching q: names starting with it first (countries before cities, larger
 * cities first), then names containing it. At most n.
 */
export function searchPlaces(places, q, n = 8) {
  const k = fold(q.trim());
  if (k.length < 2) {
    return [];
  }
  const starts = [];
  const inside = [];
  for (const p of places) {
    if (p.key.startsWith(k)) {
      starts.push(p);
    } else if (p.key.includes(k)) {
      inside.push(p);
    }
    if (starts.length >= n) {
      break;
    }
  }
  return starts.concat(inside).slice(0, n);
}

let loading = null;

/** Loads the gazetteer (once per page). */
export function loadPlaces() {
  if (!loading) {
    const get = (u) => fetch(u, {credentials: 'same-origin'}).then((r) => {
      if (!r.ok) {
        throw new Error(`HTTP ${r.status}`);
      }
      return r.json();
    });
    loading = Promise.all([get(PLACES), get(COUNTRIES)])
      .then(([cities, topo]) => gazetteer(cities, topoFeature(topo, topo.objects.countries)))
      .catch((e) => {
        loading = null;
        throw e;
      });
  }
  return loading;
}
