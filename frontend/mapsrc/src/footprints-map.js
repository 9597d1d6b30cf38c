// <gj-footprints-map [src="same-origin URL"] [aoi="bbox string or GeoJSON"] [tiles-url="…|none"]
//                    [no-previews] [label="…"]>
//   <script type="application/geo+json">FeatureCollection of footprints</script>
//   <script type="application/geo+json" data-role="aoi">optional AOI</script>
// </gj-footprints-map>
// Shows result footprints (e.g. STAC items) with their titles on hover and click, an optional
// AOI, and optional Cloud-Optimized GeoTIFF previews for features with a "data-cog" property,
// with controls (colour ramp, stretch, legend, bands, opacity, pixel value on click; cog.js).
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import Overlay from 'ol/Overlay.js';
import {Fill, Stroke, Style} from 'ol/style.js';
import {createEmpty, extend, isEmpty} from 'ol/extent.js';
import {createMap, addOnlineTiles, fitWorld, cssVar, withAlpha, onSchemeChange} from './basemap.js';
import {parseAny} from './geo.js';

const MAX_BYTES = 50 * 1024 * 1024;
const MAX_PREVIEWS = 25;
const geojson = new GeoJSON({dataProjection: 'EPSG:4326', featureProjection: 'EPSG:3857'});

function titleOf(f) {
  const p = f.getProperties();
  const t = p.title ?? p.name ?? f.getId() ?? p.id;
  return t === undefined || t === null ? 'Untitled footprint' : String(t).slice(0, 200);
}

/** Whether u is a same-origin http(s) URL (the CSP allows no other for data). */
function sameOrigin(u) {
  try {
    const url = new URL(u, document.baseURI);
    return url.origin === location.origin ? url.href : null;
  } catch {
    return null;
  }
}

export class GjFootprintsMap extends HTMLElement {
  static observedAttributes = ['src', 'aoi'];

  constructor() {
    super();
    this.built_ = false;
    this.cleanups_ = [];
    this.selected_ = null;
    this.hovered_ = null;
    this.loadSeq_ = 0;
  }

  /** The OpenLayers map. */
  get map() {
    return this.map_ || null;
  }

  /** The number of footprints shown. */
  footprintCount() {
    return this.source_ ? this.source_.getFeatures().length : 0;
  }

  /** The raster preview controls (null until a COG preview is shown). */
  get cogControls() {
    return this.cogControls_ || null;
  }

  /** Selects the footprint with this id (as a click would), or clears the selection with null. */
  select(id) {
    const f = id === null ? null : this.source_.getFeatureById(id);
    this.select_(f, null);
  }

  connectedCallback() {
    if (!this.built_) {
      this.build_();
    }
    this.map_.setTarget(this.view_);
    const ro = new ResizeObserver(() => this.sized_());
    ro.observe(this.view_);
    this.cleanups_.push(() => ro.disconnect());
    this.cleanups_.push(onSchemeChange(() => this.restyle_()));
    this.restyle_();
    if (!this.loaded_) {
      this.loaded_ = true;
      this.load_();
    }
    if (!this.tilesTried_) {
      this.tilesTried_ = true;
      addOnlineTiles(this.map_, this);
    }
  }

  disconnectedCallback() {
    for (const fn of this.cleanups_.splice(0)) {
      fn();
    }
    this.map_.setTarget(undefined);
  }

  attributeChangedCallback() {
    if (this.built_ && this.loaded_) {
      this.load_();
    }
  }

  build_() {
    this.built_ = true;
    this.classList.add('gj-map', 'gj-footprints-map');
    this.view_ = document.createElement('div');
    this.view_.className = 'gj-map-view';
    this.view_.tabIndex = 0;
    this.view_.setAttribute('role', 'application');
    this.view_.setAttribute('aria-roledescription', 'map');
    this.view_.setAttribute('aria-label', this.getAttribute('label') || 'Result footprints map. Arrow keys pan, plus and minus zoom.');
    this.status_ = document.createElement('p');
    this.status_.className = 'gj-map-status';
    this.status_.setAttribute('aria-live', 'polite');
    this.tip_ = document.createElement('div');
    this.tip_.className = 'gj-map-tooltip';
    this.tip_.hidden = true;
    this.append(this.view_, this.status_);

    this.source_ = new VectorSource({wrapX: false});
    this.aoiSource_ = new VectorSource({wrapX: false});
    this.layer_ = new VectorLayer({source: this.source_, zIndex: 10,
      style: (f) => (f === this.selected_ ? this.selStyle_ : f === this.hovered_ ? this.hoverStyle_ : this.style_),
      properties: {name: 'footprints'}});
    this.aoiLayer_ = new VectorLayer({source: this.aoiSource_, zIndex: 11, style: () => this.aoiStyle_,
      properties: {name: 'aoi'}});
    this.map_ = createMap(this, this.view_);
    this.map_.addLayer(this.layer_);
    this.map_.addLayer(this.aoiLayer_);
    this.tipOverlay_ = new Overlay({element: this.tip_, offset: [12, 12], positioning: 'top-left', stopEvent: false});
    this.map_.addOverlay(this.tipOverlay_);

    this.map_.on('pointermove', (e) => {
      if (e.dragging) {
        return;
      }
      const f = this.featureAt_(e.pixel);
      if (f !== this.hovered_) {
        this.hovered_ = f;
        this.layer_.changed();
      }
      this.view_.style.cursor = f ? 'pointer' : '';
      if (f) {
        this.tip_.textContent = titleOf(f);
        this.tip_.hidden = false;
        this.tipOverlay_.setPosition(e.coordinate);
      } else if (!this.selected_) {
        this.tip_.hidden = true;
        this.tipOverlay_.setPosition(undefined);
      }
    });
    this.map_.on('singleclick', (e) => {
      this.cogControls_?.click(e);
      this.select_(this.featureAt_(e.pixel), e.coordinate);
    });
    // A title belongs to where the pointer was: moving the map hides it (it stayed behind).
    this.map_.on('movestart', () => {
      this.tip_.hidden = true;
      this.tipOverlay_.setPosition(undefined);
    });
  }

  restyle_() {
    const accent = cssVar(this, '--accent', '#1d6fa5');
    const card = cssVar(this, '--card', '#ffffff');
    const focus = cssVar(this, '--focus', '#ffb020');
    this.style_ = new Style({stroke: new Stroke({color: accent, width: 1.5}), fill: new Fill({color: withAlpha(accent, 0.08)})});
    this.hoverStyle_ = new Style({stroke: new Stroke({color: accent, width: 3}), fill: new Fill({color: withAlpha(accent, 0.2)})});
    this.selStyle_ = [
      new Style({stroke: new Stroke({color: withAlpha(card, 0.9), width: 6})}),
      new Style({stroke: new Stroke({color: focus, width: 3}), fill: new Fill({color: withAlpha(focus, 0.15)})}),
    ];
    this.aoiStyle_ = new Style({stroke: new Stroke({color: cssVar(this, '--fg', '#1b1f24'), width: 2, lineDash: [8, 6]})});
    this.layer_.changed();
    this.aoiLayer_.changed();
    this.map_.get('restyleBase')();
  }

  featureAt_(pixel) {
    let hit = null;
    this.map_.forEachFeatureAtPixel(pixel, (f) => {
      hit = f;
      return true;
    }, {layerFilter: (l) => l === this.layer_, hitTolerance: 3});
    return hit;
  }

  select_(f, coordinate) {
    this.selected_ = f;
    this.layer_.changed();
    if (f) {
      this.tip_.textContent = titleOf(f);
      this.tip_.hidden = false;
      this.tipOverlay_.setPosition(coordinate || f.getGeometry().getInteriorPoint?.().getCoordinates?.() || undefined);
    } else {
      this.tip_.hidden = true;
      this.tipOverlay_.setPosition(undefined);
    }
    this.dispatchEvent(new CustomEvent('gj-footprint-select', {
      bubbles: true,
      detail: f ? {id: f.getId() ?? null, title: titleOf(f)} : null,
    }));
  }

  /** Reads the footprints and the AOI from the data blocks, the src URL and the aoi attribute. */
  async load_() {
    const seq = ++this.loadSeq_;
    let data = null;
    let aoiData = null;
    let problem = '';
    for (const s of this.querySelectorAll('script[type="application/geo+json"], script[type="application/json"]')) {
      try {
        const obj = JSON.parse(s.textContent);
        if (s.dataset.role === 'aoi') {
          aoiData = obj;
        } else if (!data) {
          data = obj;
        }
      } catch {
        problem = 'The embedded GeoJSON is not valid JSON.';
      }
    }
    const src = this.getAttribute('src');
    if (src) {
      const url = sameOrigin(src);
      if (!url) {
        problem = 'The footprints URL must be on this site.';
      } else {
        try {
          const r = await fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/geo+json, application/json'}});
          if (!r.ok) {
            throw new Error(`HTTP ${r.status}`);
          }
          const len = Number(r.headers.get('Content-Length'));
          if (len > MAX_BYTES) {
            throw new Error('too large');
          }
          data = await r.json();
        } catch (e) {
          problem = `Could not load the footprints (${e.message}).`;
        }
      }
    }
    if (seq !== this.loadSeq_) {
      return; // a newer load started meanwhile
    }
    const aoiAttr = this.getAttribute('aoi');
    this.aoiSource_.clear();
    try {
      const aoiText = aoiAttr && aoiAttr.trim() ? aoiAttr : aoiData ? JSON.stringify(aoiData) : '';
      if (aoiText) {
        const aoi = parseAny(aoiText);
        this.aoiSource_.addFeature(geojson.readFeature({type: 'Feature', properties: {},
          geometry: aoi.geometry}));
      }
    } catch (e) {
      problem = problem || `The area of interest could not be read: ${e.message}`;
    }
    this.source_.clear();
    this.selected_ = null;
    let features = [];
    if (data) {
      try {
        features = geojson.readFeatures(data).filter((f) => f.getGeometry());
      } catch {
        problem = problem || 'The footprints are not valid GeoJSON.';
      }
    }
    this.source_.addFeatures(features);
    const n = features.length;
    this.status_.textContent = problem || (n === 0 ? 'No footprints.' : `${n} footprint${n === 1 ? '' : 's'}. Point at or click one to see its title.`);
    this.toggleAttribute('data-invalid', !!problem);
    this.setAttribute('data-count', String(n));
    this.fit_();
    if (!this.hasAttribute('no-previews')) {
      this.previews_(features);
    }
  }

  async previews_(features) {
    const items = [];
    for (const f of features) {
      const u = f.get('data-cog');
      const url = typeof u === 'string' ? sameOrigin(u) : null;
      if (url && items.length < MAX_PREVIEWS) {
        items.push({url, feature: f});
      }
    }
    if (items.length === 0) {
      return;
    }
    try {
      const {addCogPreviews, CogControls} = await import('./cog.js');
      this.cogPreviews_?.forEach((p) => p.dispose());
      this.cogControls_?.el.remove();
      this.cogPreviews_ = addCogPreviews(this.map_, items, 5);
      this.cogControls_ = new CogControls(this, this.cogPreviews_);
      this.setAttribute('data-previews', String(items.length));
      await Promise.allSettled(this.cogPreviews_.map((p) => p.ready));
      this.setAttribute('data-previews-ready', String(this.cogPreviews_.length));
    } catch (e) {
      this.setAttribute('data-previews', 'failed');
      this.status_.textContent = `The raster preview failed: ${e.message}`;
    }
  }

  sized_() {
    this.map_.updateSize();
    const size = this.map_.getSize();
    if (this.pendingFit_ && size && size[0] > 0 && size[1] > 0) {
      this.pendingFit_ = false;
      this.fit_();
    }
  }

  fit_() {
    const size = this.map_.getSize();
    if (!size || size[0] === 0 || size[1] === 0) {
      this.pendingFit_ = true;
      return;
    }
    const ext = createEmpty();
    extend(ext, this.source_.getExtent());
    extend(ext, this.aoiSource_.getExtent());
    if (isEmpty(ext)) {
      fitWorld(this.map_);
      return;
    }
    this.map_.getView().fit(ext, {size, padding: [24, 24, 24, 24], maxZoom: 15});
  }
}

if (!customElements.get('gj-footprints-map')) {
  customElements.define('gj-footprints-map', GjFootprintsMap);
}
