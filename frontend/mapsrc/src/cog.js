// Cloud-Optimized GeoTIFF previews, loaded on demand by <gj-footprints-map> (a separate chunk,
// so pages with only forms never download geotiff.js or proj4). Reads by HTTP Range requests:
// only the tiles of the overview level the view needs.
//
// A preview has scientific controls (CogControls): a colour ramp, a stretch (the band's
// statistics, a 2–98 % percentile of the pixels in view, or manual), a legend with values,
// band selection or an RGB composite for multi-band rasters, opacity, and the pixel value
// under a click. Values are kept raw (normalize: false): the style does the stretch.
import WebGLTileLayer from 'ol/layer/WebGLTile.js';
import GeoTIFF from 'ol/source/GeoTIFF.js';
import proj4 from 'proj4';
import {register, setProjectionCodeLookup} from 'ol/proj/proj4.js';
import {toLonLat} from 'ol/proj.js';

// Projections known without any network lookup: WGS84 UTM zones, which most EO products use.
// EPSG:4326 and EPSG:3857 are built into OpenLayers.
function lookup(code) {
  const m = /^EPSG:(32[67])(\d\d)$/.exec(code);
  if (m) {
    const zone = Number(m[2]);
    if (zone >= 1 && zone <= 60) {
      return Promise.resolve(`+proj=utm +zone=${zone}${m[1] === '327' ? ' +south' : ''} +datum=WGS84 +units=m +no_defs +type=crs`);
    }
  }
  return Promise.reject(new Error(`projection ${code} is not available offline`));
}

register(proj4);
setProjectionCodeLookup(lookup);

/** Whether u is a same-origin URL (the CSP allows no other for data). */
function sameOrigin(u) {
  try {
    return new URL(u, document.baseURI).origin === location.origin;
  } catch {
    return false;
  }
}

function num(v) {
  const n = Number(v);
  return v !== undefined && v !== null && v !== '' && Number.isFinite(n) ? n : undefined;
}

/** Colour ramps, low to high: [r, g, b] stops spaced evenly. */
export const RAMPS = {
  viridis: {label: 'Viridis', stops: [[68, 1, 84], [72, 40, 120], [62, 74, 137], [49, 104, 142], [38, 130, 142],
    [31, 158, 137], [53, 183, 121], [109, 205, 89], [180, 222, 44], [253, 231, 37]]},
  terrain: {label: 'Terrain', stops: [[51, 51, 153], [2, 152, 250], [1, 204, 102], [128, 230, 128], [255, 255, 153],
    [191, 166, 115], [128, 92, 84], [191, 174, 170], [255, 255, 255]]},
  diverging: {label: 'Diverging red–yellow–green (NDVI, NDWI)', stops: [[165, 0, 38], [215, 48, 39], [244, 109, 67],
    [253, 174, 97], [254, 224, 139], [255, 255, 191], [217, 239, 139], [166, 217, 106], [102, 189, 99], [26, 152, 80], [0, 104, 55]]},
  greys: {label: 'Greys', stops: [[0, 0, 0], [255, 255, 255]]},
};

export const STRETCHES = {
  minmax: 'Min–max',
  percentile: '2–98 % of the pixels in view',
  manual: 'Manual',
};

/** The colour of ramp at t in 0..1, as [r, g, b]. */
export function rampColor(ramp, t) {
  const s = RAMPS[ramp].stops;
  const x = Math.min(1, Math.max(0, t)) * (s.length - 1);
  const i = Math.min(s.length - 2, Math.floor(x));
  const f = x - i;
  return s[i].map((c, k) => Math.round(c + (s[i + 1][k] - c) * f));
}

/** The q-quantile (0..1) of sorted values. */
export function quantile(sorted, q) {
  if (sorted.length === 0) {
    return undefined;
  }
  const x = (sorted.length - 1) * q;
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (sorted[i + 1] - sorted[i]) * (x - i) : sorted[i];
}

/** A value for a legend or a readout: short, but exact for integers. */
export function formatValue(v) {
  if (v === undefined || v === null || Number.isNaN(v)) {
    return '—';
  }
  if (Number.isInteger(v)) {
    return String(v);
  }
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : String(Number(v.toPrecision(4)));
}

/**
 * One COG preview: a WebGL tile layer over the item's footprint, and its display state.
 */
export class CogPreview {
  /**
   * @param {import('ol/Map.js').default} map
   * @param {{url: string, feature: import('ol/Feature.js').default}} item
   * @param {number} zIndex
   */
  constructor(map, item, zIndex) {
    this.map = map;
    this.feature = item.feature;
    this.url = item.url;
    const f = item.feature;
    this.stats = {min: num(f.get('data-cog-min')), max: num(f.get('data-cog-max'))};
    this.nodata = num(f.get('data-cog-nodata'));
    this.state = {band: 1, rgb: [1, 2, 3], mode: 'single', ramp: 'viridis', stretch: 'minmax', min: undefined, max: undefined, opacity: 0.9};
    // Several assets of the item, one band each: read together, as the bands of one raster.
    const assets = f.get('data-cog-bands');
    this.assets = Array.isArray(assets) ? assets.filter((a) => a && typeof a.url === 'string' && sameOrigin(a.url)).slice(0, 12) : [];
    if (this.assets.length < 2) {
      this.assets = [];
    }
    const urls = this.assets.length ? this.assets.map((a) => a.url) : [item.url];
    if (this.assets.length) {
      const first = Math.max(0, this.assets.findIndex((a) => a.url === item.url));
      this.state.band = first + 1;
      const a = this.assets[first];
      if (num(a.min) !== undefined && num(a.max) !== undefined) {
        this.stats = {min: num(a.min), max: num(a.max)};
      }
      const find = (re) => this.assets.findIndex((x) => re.test(x.name)) + 1;
      const rgb = [find(/red|\bb0?4\b/i), find(/green|\bb0?3\b/i), find(/blue|\bb0?2\b/i)];
      if (rgb.every((b) => b > 0)) {
        this.state.rgb = rgb;
      }
    }
    this.source = new GeoTIFF({
      sources: urls.map((url) => ({url, nodata: this.nodata})),
      normalize: false,
      // Nearest neighbour, also when reprojected to the map: a pixel shows (and a click
      // reads) a value the raster holds, never a blend of neighbours.
      interpolate: false,
      loadMissingProjection: true,
      sourceOptions: {allowFullFile: false},
      transition: 0,
    });
    this.layer = new WebGLTileLayer({
      source: this.source,
      zIndex,
      opacity: this.state.opacity,
      extent: f.getGeometry().getExtent(),
      properties: {name: 'cog-preview'},
      style: {color: [0, 0, 0, 0]},
    });
    map.addLayer(this.layer);
    this.ready = new Promise((resolve, reject) => {
      const check = () => {
        const st = this.source.getState();
        if (st === 'ready') {
          resolve(this);
          return true;
        }
        if (st === 'error') {
          reject(this.source.getError?.() || new Error('the GeoTIFF could not be read'));
          return true;
        }
        return false;
      };
      if (!check()) {
        const key = this.source.on('change', () => {
          if (check()) {
            this.source.un('change', key.listener);
          }
        });
      }
    }).then(() => {
      if (this.bandCount() >= 3 && (!this.assets.length || this.state.rgb.join() !== '1,2,3')) {
        this.state.mode = 'rgb'; // a multi-band image, or an item with red, green and blue assets
      }
      if (this.stats.min === undefined || this.stats.max === undefined || !(this.stats.max > this.stats.min)) {
        // No statistics in the item: stretch to the pixels in view once they are drawn.
        this.stats = null;
        this.state.min = 0;
        this.state.max = 1;
        this.state.stretch = 'percentile';
        this.apply_();
        this.map.once('rendercomplete', () => this.set({stretch: 'percentile'}));
        return this;
      }
      this.state.min = this.stats.min;
      this.state.max = this.stats.max;
      this.apply_();
      return this;
    });
  }

  /** The raster's bands (without the alpha band OpenLayers adds for nodata). */
  bandCount() {
    const n = this.source.bandCount || 1;
    return this.source.nodataBandIndex ? n - 1 : n;
  }

  /** The name of band b (1-based): its asset's, or "Band b". */
  bandName(b) {
    return this.assets[b - 1]?.name ? String(this.assets[b - 1].name).slice(0, 60) : `Band ${b}`;
  }

  /** Changes the display: any of band, rgb, mode, ramp, stretch, min, max, opacity. */
  async set(change) {
    Object.assign(this.state, change);
    if ('band' in change && this.assets.length) {
      const a = this.assets[this.state.band - 1];
      this.stats = num(a?.min) !== undefined && num(a?.max) !== undefined ? {min: num(a.min), max: num(a.max)} : null;
      if (this.state.stretch === 'minmax') {
        change.stretch = 'minmax';
      }
    }
    if ('stretch' in change && change.stretch === 'minmax') {
      const mm = this.stats ? [this.stats.min, this.stats.max] : await this.percentiles(0, 1);
      if (mm) {
        [this.state.min, this.state.max] = mm;
      }
    }
    if ('stretch' in change && change.stretch === 'percentile') {
      const p = await this.percentiles(0.02, 0.98);
      if (p) {
        [this.state.min, this.state.max] = p;
      }
    }
    this.apply_();
  }

  /** The style for the state. */
  style_() {
    const {band, rgb, mode, ramp, min, max} = this.state;
    const span = max > min ? max - min : 1;
    const norm = (b) => ['clamp', ['/', ['-', ['band', b], min], span], 0, 1];
    let color;
    if (mode === 'rgb') {
      color = ['array', norm(rgb[0]), norm(rgb[1]), norm(rgb[2]), 1];
    } else {
      const stops = RAMPS[ramp].stops;
      color = ['interpolate', ['linear'], norm(band)];
      stops.forEach((c, i) => color.push(i / (stops.length - 1), [...c, 1]));
    }
    if (this.source.nodataBandIndex) {
      color = ['case', ['==', ['band', this.source.nodataBandIndex], 0], [0, 0, 0, 0], color];
    }
    return {color};
  }

  apply_() {
    this.layer.setStyle(this.style_());
    this.layer.setOpacity(this.state.opacity);
    this.map.render();
    this.onchange?.(this);
  }

  /**
   * The raw band values at a map pixel, read from the tile the view shows there (the
   * full-resolution tile once zoomed in enough); null outside the raster or before load.
   */
  valueAt(pixel) {
    const d = this.layer.getData(pixel);
    if (!d || d.length === 0) {
      return null;
    }
    const vals = Array.from(d).slice(0, this.bandCount());
    if (this.source.nodataBandIndex && d[this.source.nodataBandIndex - 1] === 0) {
      return {nodata: true, values: vals};
    }
    return {nodata: false, values: vals};
  }

  /**
   * The lo and hi quantiles of the shown band (the first of an RGB composite) over a grid
   * of pixels of the raster in view; undefined when nothing is drawn yet.
   */
  async percentiles(lo, hi) {
    this.map.renderSync();
    const size = this.map.getSize();
    if (!size) {
      return undefined;
    }
    const b = (this.state.mode === 'rgb' ? this.state.rgb[0] : this.state.band) - 1;
    const vals = [];
    const n = 64;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const v = this.valueAt([(i + 0.5) * size[0] / n, (j + 0.5) * size[1] / n]);
        if (v && !v.nodata && Number.isFinite(v.values[b])) {
          vals.push(v.values[b]);
        }
      }
    }
    if (vals.length < 2) {
      return undefined;
    }
    vals.sort((a, c) => a - c);
    return [quantile(vals, lo), quantile(vals, hi)];
  }

  dispose() {
    this.map.removeLayer(this.layer);
    this.source.dispose?.();
  }
}

/**
 * Adds one preview per item, clipped to its footprint's extent.
 * @param {import('ol/Map.js').default} map
 * @param {Array<{url: string, feature: import('ol/Feature.js').default}>} items
 * @param {number} zIndex
 * @return {Array<CogPreview>}
 */
export function addCogPreviews(map, items, zIndex) {
  return items.map((item) => new CogPreview(map, item, zIndex));
}

/** The controls of a preview: ramp, stretch, bands, opacity, legend and the clicked value. */
export class CogControls {
  /**
   * @param {HTMLElement} host where the panel goes
   * @param {Array<CogPreview>} previews
   */
  constructor(host, previews) {
    this.previews = previews;
    this.preview = previews[0];
    const el = document.createElement('div');
    el.className = 'gj-cog-controls';
    el.setAttribute('data-testid', 'cog-controls');
    el.innerHTML = `
      <div class="gj-cog-row">
        <label class="gj-cog-field gj-cog-layer" hidden>Preview <select name="layer"></select></label>
        <label class="gj-cog-field">Colours <select name="ramp"></select></label>
        <label class="gj-cog-field">Stretch <select name="stretch"></select></label>
        <label class="gj-cog-field">Min <input name="min" type="number" step="any" inputmode="decimal"></label>
        <label class="gj-cog-field">Max <input name="max" type="number" step="any" inputmode="decimal"></label>
        <label class="gj-cog-field">Opacity <input name="opacity" type="range" min="0" max="100" step="5"></label>
      </div>
      <div class="gj-cog-row gj-cog-bands" hidden>
        <label class="gj-cog-field">Bands <select name="mode"><option value="single">One band</option><option value="rgb">RGB composite</option></select></label>
        <label class="gj-cog-field gj-cog-single">Band <select name="band"></select></label>
        <label class="gj-cog-field gj-cog-rgb">Red <select name="r"></select></label>
        <label class="gj-cog-field gj-cog-rgb">Green <select name="g"></select></label>
        <label class="gj-cog-field gj-cog-rgb">Blue <select name="b"></select></label>
      </div>
      <div class="gj-cog-legend" data-testid="cog-legend">
        <canvas width="256" height="12" aria-hidden="true"></canvas>
        <div class="gj-cog-ticks"><span data-tick="min"></span><span data-tick="mid"></span><span data-tick="max"></span></div>
      </div>
      <output class="gj-cog-value" data-testid="cog-value" aria-live="polite">Click the raster to read a pixel value.</output>`;
    host.append(el);
    this.el = el;
    const q = (n) => el.querySelector(`[name=${n}]`);
    this.q = q;
    for (const [k, v] of Object.entries(RAMPS)) {
      q('ramp').append(new Option(v.label, k));
    }
    for (const [k, v] of Object.entries(STRETCHES)) {
      q('stretch').append(new Option(v, k));
    }
    if (previews.length > 1) {
      el.querySelector('.gj-cog-layer').hidden = false;
      previews.forEach((p, i) => q('layer').append(new Option(String(p.feature.get('title') || `Preview ${i + 1}`).slice(0, 80), String(i))));
    }
    const on = (name, fn) => q(name).addEventListener('change', fn);
    on('layer', () => this.show(this.previews[Number(q('layer').value)]));
    on('ramp', () => this.preview.set({ramp: q('ramp').value}));
    on('stretch', () => this.preview.set({stretch: q('stretch').value}));
    for (const n of ['min', 'max']) {
      on(n, () => {
        const v = Number(q(n).value);
        if (q(n).value !== '' && Number.isFinite(v)) {
          q('stretch').value = 'manual';
          this.preview.set({stretch: 'manual', [n]: v});
        }
      });
    }
    q('opacity').addEventListener('input', () => this.preview.set({opacity: Number(q('opacity').value) / 100}));
    on('mode', () => this.preview.set({mode: q('mode').value}));
    on('band', () => this.preview.set({band: Number(q('band').value)}));
    for (const [i, n] of ['r', 'g', 'b'].entries()) {
      on(n, () => {
        const rgb = [...this.preview.state.rgb];
        rgb[i] = Number(q(n).value);
        this.preview.set({rgb});
      });
    }
    for (const p of previews) {
      p.onchange = () => p === this.preview && this.sync();
    }
    this.show(this.preview);
  }

  /** Shows the controls of preview p. */
  show(p) {
    this.preview = p;
    p.ready.then(() => {
      const n = p.bandCount();
      const bands = this.el.querySelector('.gj-cog-bands');
      bands.hidden = n < 2;
      for (const name of ['band', 'r', 'g', 'b']) {
        const s = this.q(name);
        s.replaceChildren(...Array.from({length: n}, (_, i) => new Option(p.bandName(i + 1), String(i + 1))));
      }
      this.sync();
    }, (e) => {
      this.el.querySelector('[data-testid=cog-value]').textContent = `The preview could not be read: ${e.message}`;
    });
  }

  /** Puts the preview's state into the controls and redraws the legend. */
  sync() {
    const p = this.preview;
    const s = p.state;
    const q = this.q;
    q('ramp').value = s.ramp;
    q('stretch').value = s.stretch;
    q('min').value = s.min === undefined ? '' : String(Number(s.min.toPrecision(6)));
    q('max').value = s.max === undefined ? '' : String(Number(s.max.toPrecision(6)));
    q('opacity').value = String(Math.round(s.opacity * 100));
    q('mode').value = s.mode;
    q('band').value = String(s.band);
    ['r', 'g', 'b'].forEach((n, i) => {
      q(n).value = String(s.rgb[i]);
    });
    this.el.querySelectorAll('.gj-cog-single').forEach((e) => {
      e.hidden = s.mode === 'rgb';
    });
    this.el.querySelectorAll('.gj-cog-rgb').forEach((e) => {
      e.hidden = s.mode !== 'rgb';
    });
    q('ramp').disabled = s.mode === 'rgb';
    const c = this.el.querySelector('canvas');
    const ctx = c.getContext('2d');
    for (let x = 0; x < c.width; x++) {
      const [r, g, b] = s.mode === 'rgb' ? [x, x, x] : rampColor(s.ramp, x / (c.width - 1));
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, c.height);
    }
    const tick = (k, v) => {
      this.el.querySelector(`[data-tick=${k}]`).textContent = formatValue(v);
    };
    tick('min', s.min);
    tick('mid', s.min !== undefined && s.max !== undefined ? (s.min + s.max) / 2 : undefined);
    tick('max', s.max);
    this.el.dataset.ramp = s.ramp;
    this.el.dataset.stretch = s.stretch;
  }

  /**
   * Shows the value under a map click; returns whether the click was on the raster.
   * @param {import('ol/MapBrowserEvent.js').default} e
   */
  click(e) {
    const v = this.preview.valueAt(e.pixel);
    const out = this.el.querySelector('[data-testid=cog-value]');
    if (!v) {
      out.textContent = 'No raster value here (outside the preview, or not loaded yet).';
      delete out.dataset.value;
      return false;
    }
    const [lon, lat] = toLonLat(e.coordinate, this.preview.map.getView().getProjection());
    const where = `${Math.abs(lon).toFixed(5)}°${lon < 0 ? 'W' : 'E'} ${Math.abs(lat).toFixed(5)}°${lat < 0 ? 'S' : 'N'}`;
    if (v.nodata) {
      out.textContent = `No data at ${where}.`;
      out.dataset.value = 'nodata';
      return true;
    }
    const s = this.preview.state;
    const p = this.preview;
    const shown = s.mode === 'rgb' ? s.rgb.map((b) => `${p.bandName(b)}: ${formatValue(v.values[b - 1])}`).join(', ')
      : v.values.length > 1 ? `${formatValue(v.values[s.band - 1])} (${p.bandName(s.band)})` : formatValue(v.values[0]);
    out.textContent = `Value at ${where}: ${shown}`;
    out.dataset.value = String(s.mode === 'rgb' ? v.values[s.rgb[0] - 1] : v.values[(v.values.length > 1 ? s.band : 1) - 1]);
    return true;
  }
}
