// The base map shared by the components: an offline Natural Earth layer that is always there,
// and online raster tiles added only when one probe tile loads.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import {Circle as CircleStyle, Fill, Stroke, Style, Text} from 'ol/style.js';
import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import {defaults as defaultInteractions} from 'ol/interaction/defaults.js';
import {defaults as defaultControls} from 'ol/control/defaults.js';
import {fromLonLat, transformExtent} from 'ol/proj.js';
import {asArray} from 'ol/color.js';
import {feature as topoFeature} from 'topojson-client';

export const DEFAULT_TILES = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
const OSM_ATTRIBUTION =
  '© <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener noreferrer">OpenStreetMap</a> contributors';

// Natural Earth country outlines shipped beside this script: 1:110m for the world view,
// 1:50m once zoomed in. Each file is fetched only when its layer is first drawn.
const DATA_110M = new URL('./countries-110m.json', import.meta.url).href;
const DATA_50M = new URL('./countries-50m.json', import.meta.url).href;
const PLACES = new URL('./places.json', import.meta.url).href;
const CITY_RESOLUTION = 2500; // m/px; about zoom 6: city names from there on
const DETAIL_RESOLUTION = 5000; // m/px; about zoom 5
const ANTARCTICA = '010';
const LABEL_RESOLUTION = 20000; // m/px; about zoom 3

/**
 * Unwraps the rings of a GeoJSON FeatureCollection (lon/lat) that jump across the
 * antimeridian (a step of more than 180° between two positions, as Russia's and Fiji's
 * outlines do): their western longitudes move east by 360°, so that each ring is drawn
 * as one shape east of 180° (the layer wraps it) instead of as a band across the world.
 * Antarctica, whose ring runs along the map's bottom edge, is left as it is.
 * @param {Object} fc
 * @return {Object} fc, changed in place
 */
export function unwrapAntimeridian(fc) {
  const fixRing = (ring) => {
    let jumps = false;
    for (let i = 1; i < ring.length; i++) {
      if (Math.abs(ring[i][0] - ring[i - 1][0]) > 180) {
        jumps = true;
        break;
      }
    }
    return jumps ? ring.map(([x, y]) => [x < 0 ? x + 360 : x, y]) : ring;
  };
  for (const f of fc.features || []) {
    const g = f.geometry;
    if (!g || f.id === ANTARCTICA) {
      continue;
    }
    if (g.type === 'Polygon') {
      g.coordinates = g.coordinates.map(fixRing);
    } else if (g.type === 'MultiPolygon') {
      g.coordinates = g.coordinates.map((p) => p.map(fixRing));
    }
  }
  return fc;
}

const dark = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/** Reads a CSS custom property of el, with a fallback. */
export function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

/** A CSS colour with its alpha replaced. */
export function withAlpha(color, alpha) {
  try {
    const c = asArray(color).slice();
    c[3] = alpha;
    return c;
  } catch {
    return [29, 111, 165, alpha];
  }
}

/**
 * Calls fn whenever the colour scheme changes; returns the function that stops it.
 * @param {function(): void} fn
 */
export function onSchemeChange(fn) {
  if (!dark) {
    return () => {};
  }
  dark.addEventListener('change', fn);
  return () => dark.removeEventListener('change', fn);
}

function countriesLayer(url, el, minResolution, maxResolution) {
  const format = new GeoJSON({featureProjection: 'EPSG:3857'});
  const source = new VectorSource({
    wrapX: true,
    loader(extent, resolution, projection, success, failure) {
      fetch(url, {credentials: 'same-origin'})
        .then((r) => {
          if (!r.ok) {
            throw new Error(`HTTP ${r.status}`);
          }
          return r.json();
        })
        .then((topo) => {
          const fc = unwrapAntimeridian(topoFeature(topo, topo.objects.countries));
          const features = format.readFeatures(fc);
          source.addFeatures(features);
          success(features);
        })
        .catch(() => {
          source.removeLoadedExtent(extent);
          failure();
        });
    },
  });
  let style = null;
  let fillOnly = null;
  let label = null;
  const restyle = () => {
    const fill = new Fill({color: cssVar(el, '--gj-map-land', '#eceee8')});
    style = new Style({fill, stroke: new Stroke({color: cssVar(el, '--gj-map-border', '#a9b1ba'), width: 0.75})});
    fillOnly = new Style({fill});
    label = new Text({
      font: '12px system-ui, sans-serif',
      fill: new Fill({color: cssVar(el, '--gj-map-label', '#4a5560')}),
      stroke: new Stroke({color: cssVar(el, '--gj-map-label-halo', 'rgba(255,255,255,0.85)'), width: 3}),
      overflow: false,
    });
  };
  restyle();
  const layer = new VectorLayer({
    source,
    // Antarctica (ISO 3166 numeric 010) without its outline: its edge along the map's bottom is not a coast.
    // Country names from zoom 3 on, decluttered (the offline map says where an AOI is).
    style: (f, resolution) => {
      if (f.getId() === ANTARCTICA) {
        return fillOnly;
      }
      const name = f.get('name');
      if (!name || resolution > LABEL_RESOLUTION) {
        return style;
      }
      const s = style.clone();
      const t = label.clone();
      t.setText(name);
      s.setText(t);
      return s;
    },
    declutter: true,
    minResolution,
    maxResolution,
    updateWhileInteracting: false,
    properties: {name: 'natural-earth'},
  });
  layer.set('restyle', () => {
    restyle();
    layer.changed();
  });
  return layer;
}

/** City names (the offline gazetteer, largest first: they win where names would overlap). */
function citiesLayer(el) {
  const source = new VectorSource({
    loader(extent, resolution, projection, success, failure) {
      fetch(PLACES, {credentials: 'same-origin'})
        .then((r) => {
          if (!r.ok) {
            throw new Error(`HTTP ${r.status}`);
          }
          return r.json();
        })
        .then((list) => {
          const features = list.map(([name, , lon, lat]) => new Feature({geometry: new Point(fromLonLat([lon, lat])), name}));
          source.addFeatures(features);
          success(features);
        })
        .catch(() => {
          source.removeLoadedExtent(extent);
          failure();
        });
    },
  });
  let dot = null;
  let text = null;
  const restyle = () => {
    dot = new CircleStyle({radius: 2.5, fill: new Fill({color: cssVar(el, '--gj-map-label', '#4a5560')})});
    text = new Text({
      font: '11px system-ui, sans-serif', offsetY: -9,
      fill: new Fill({color: cssVar(el, '--gj-map-label', '#4a5560')}),
      stroke: new Stroke({color: cssVar(el, '--gj-map-label-halo', 'rgba(255,255,255,0.85)'), width: 3}),
    });
  };
  restyle();
  const layer = new VectorLayer({
    source,
    declutter: true,
    maxResolution: CITY_RESOLUTION,
    renderOrder: null, // keep the file's order: larger cities first
    style: (f) => {
      const t = text.clone();
      t.setText(f.get('name'));
      return new Style({image: dot, text: t});
    },
    properties: {name: 'places'},
  });
  layer.set('restyle', () => {
    restyle();
    layer.changed();
  });
  return layer;
}

/**
 * A map in target with the offline layers, keyboard zoom and pan, and mouse-wheel zoom as
 * soon as the pointer is over the map, without a click first (F-13). The compromise: the
 * wheel over the map zooms it; the page scrolls with the wheel anywhere else (the maps are
 * never taller than about half a window), with the keyboard, or the scroll bar.
 * @param {HTMLElement} host the custom element (CSS variables are read from it)
 * @param {HTMLElement} target the map's focusable container
 * @return {Map}
 */
export function createMap(host, target) {
  const base = [
    countriesLayer(DATA_110M, host, DETAIL_RESOLUTION, undefined),
    countriesLayer(DATA_50M, host, undefined, DETAIL_RESOLUTION),
  ];
  const labels = citiesLayer(host);
  const map = new Map({
    target,
    layers: base,
    controls: defaultControls({rotate: false, attributionOptions: {collapsible: false}}),
    interactions: defaultInteractions({altShiftDragRotate: false, pinchRotate: false}),
    view: new View({
      center: [0, 2500000],
      zoom: 1,
      minZoom: 0,
      maxZoom: 19,
      constrainResolution: false,
      enableRotation: false,
    }),
  });
  // Clicking the map focuses it, so the keyboard then works on it.
  target.addEventListener('pointerdown', () => {
    if (document.activeElement !== target) {
      target.focus({preventScroll: true});
    }
  });
  labels.setZIndex(5);
  map.addLayer(labels);
  map.set('restyleBase', () => base.concat(labels).forEach((l) => l.get('restyle')()));
  return map;
}

/** Fits the view to the whole world as the default framing. */
export function fitWorld(map) {
  map.getView().fit(transformExtent([-170, -58, 170, 75], 'EPSG:4326', 'EPSG:3857'), {
    size: map.getSize(),
  });
}

const probes = new globalThis.Map();

/**
 * Resolves true when one tile of the template loads as an image within the timeout. One probe
 * per template and page.
 * @param {string} template
 * @return {Promise<boolean>}
 */
export function probeTiles(template) {
  if (!probes.has(template)) {
    probes.set(template, new Promise((resolve) => {
      const url = template
        .replace(/\{-?y\}/, '0').replace('{x}', '0').replace('{z}', '0')
        .replace(/\{([a-z0-9])-[a-z0-9]\}/, '$1');
      const img = new Image();
      img.referrerPolicy = 'strict-origin-when-cross-origin';
      img.decoding = 'async';
      const timer = setTimeout(() => finish(false), 8000);
      function finish(ok) {
        clearTimeout(timer);
        img.onload = null;
        img.onerror = null;
        resolve(ok);
      }
      img.onload = () => finish(img.naturalWidth > 0);
      img.onerror = () => finish(false);
      img.src = url;
    }));
  }
  return probes.get(template);
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]));
}

/**
 * Says on the map that its online tiles did not load and the offline map is shown instead
 * (F-13: a map that fell back said nothing). The note names the tile server; it takes no
 * pointer events, so it never covers what is under it.
 * @param {HTMLElement} target the map's view element
 * @param {HTMLElement} host
 * @param {string} template
 */
function sayOffline(target, host, template) {
  let server = 'the tile server';
  try {
    server = new URL(template.replace(/\{[^}]*\}/g, '0')).host || server;
  } catch (e) {
    // a template that is not a URL: said without its host
  }
  const note = document.createElement('p');
  note.className = 'gj-map-offline';
  note.setAttribute('role', 'note');
  note.setAttribute('data-testid', 'map-offline');
  note.textContent = `Offline map: the online tiles from ${server} did not load.`;
  target.appendChild(note);
  host.setAttribute('data-tiles', 'offline');
}

/**
 * Adds the online tile layer above the offline one when its probe tile loads; says on the
 * map when it does not. The template is
 * the element's `tiles-url` (default OpenStreetMap); "none" turns online tiles off.
 * @param {Map} map
 * @param {HTMLElement} host
 * @return {Promise<boolean>} whether tiles were added
 */
export async function addOnlineTiles(map, host) {
  const attr = host.getAttribute('tiles-url');
  const template = attr === null || attr.trim() === '' ? DEFAULT_TILES : attr.trim();
  if (template === 'none') {
    return false;
  }
  const ok = await probeTiles(template);
  const target = map.getTargetElement();
  if (!target) {
    return false;
  }
  if (!ok) {
    sayOffline(target, host, template);
    return false;
  }
  const custom = host.getAttribute('tiles-attribution');
  const layer = new TileLayer({
    source: new XYZ({
      url: template,
      maxZoom: 19,
      referrerPolicy: 'strict-origin-when-cross-origin',
      attributions: template === DEFAULT_TILES ? OSM_ATTRIBUTION : custom ? escapeHTML(custom) : undefined,
      attributionsCollapsible: false,
    }),
    properties: {name: 'online-tiles'},
  });
  map.getLayers().insertAt(2, layer);
  host.setAttribute('data-tiles', 'online');
  return true;
}
