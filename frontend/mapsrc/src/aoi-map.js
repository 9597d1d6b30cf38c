// <gj-aoi-map for="FIELD-ID" format="bbox-string|ogc-bbox|geojson-geometry|geojson-feature"
//             warn-km2="N" [readonly] [tiles-url="…|none"] [tiles-attribution="…"]>
// An interactive map that edits the area of interest held as text in the form field FIELD-ID,
// both ways: editing the field moves the shape, drawing on the map rewrites the field and
// dispatches bubbling input and change events.
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import Feature from 'ol/Feature.js';
import Draw, {createBox} from 'ol/interaction/Draw.js';
import Modify from 'ol/interaction/Modify.js';
import {Circle as CircleStyle, Fill, Stroke, Style} from 'ol/style.js';
import {createMap, addOnlineTiles, fitWorld, cssVar, withAlpha, onSchemeChange} from './basemap.js';
import BoxEdit from './boxedit.js';
import {loadPlaces, searchPlaces} from './places.js';
import {fromLonLat, transformExtent} from 'ol/proj.js';
import {
  AoiError, FORMATS, parseValue, parseAny, formatValue, aoiBbox, aoiAreaKm2, boxAoi, toOlGeometry,
  fromOlGeometry, isRectangle,
} from './geo.js';

const DEFAULT_WARN_KM2 = 250000;
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024;
const FIT_PADDING = [24, 24, 24, 24];
let counter = 0;

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    e.setAttribute(k, v);
  }
  if (text) {
    e.textContent = text;
  }
  return e;
}

function formatKm2(km2) {
  const digits = km2 < 10 ? 2 : km2 < 100 ? 1 : 0;
  return new Intl.NumberFormat(undefined, {maximumFractionDigits: digits}).format(km2);
}

export class GjAoiMap extends HTMLElement {
  static observedAttributes = ['for', 'format', 'warn-km2', 'readonly'];

  constructor() {
    super();
    /** @type {import('./geo.js').Aoi|null} the last valid AOI, in lon/lat */
    this.aoi_ = null;
    this.built_ = false;
    this.field_ = null;
    this.tool_ = 'modify';
    this.draw_ = null;
    this.writing_ = false;
    this.pendingFit_ = null;
    this.cleanups_ = [];
    this.onFieldInput_ = (e) => this.readField_(e.type === 'change');
    this.onFieldPaste_ = (e) => this.fieldPaste_(e);
  }

  // ---- public API ----

  /** The AOI's lon/lat box [minx, miny, maxx, maxy] (minx > maxx across the antimeridian), or null. */
  aoiExtent() {
    return this.aoi_ ? aoiBbox(this.aoi_) : null;
  }

  /** The AOI as a GeoJSON geometry object in lon/lat, or null. */
  aoiGeometry() {
    return this.aoi_ ? JSON.parse(JSON.stringify(this.aoi_.geometry)) : null;
  }

  /** The AOI's geodesic area in km², or null without an AOI. */
  aoiAreaKm2() {
    return this.aoi_ ? aoiAreaKm2(this.aoi_) : null;
  }

  /** The OpenLayers map (for pages that add layers). */
  get map() {
    return this.map_ || null;
  }

  /**
   * Sets the AOI from GeoJSON (object or text), an OGC bbox object or a bbox string, as a paste
   * would: the field is rewritten and input/change are dispatched. Throws on invalid input.
   */
  setAoi(value) {
    const aoi = parseAny(typeof value === 'string' ? value : JSON.stringify(value));
    this.commit_(aoi, true);
  }

  get format() {
    const f = this.getAttribute('format');
    return FORMATS.includes(f) ? f : 'bbox-string';
  }

  get warnKm2() {
    const v = Number(this.getAttribute('warn-km2'));
    return Number.isFinite(v) && v > 0 ? v : DEFAULT_WARN_KM2;
  }

  get readOnly() {
    return this.hasAttribute('readonly');
  }

  // ---- lifecycle ----

  connectedCallback() {
    if (!this.built_) {
      this.build_();
    }
    this.map_.setTarget(this.view_);
    this.resize_ = new ResizeObserver(() => this.sized_());
    this.resize_.observe(this.view_);
    this.cleanups_.push(() => this.resize_.disconnect());
    this.cleanups_.push(onSchemeChange(() => this.restyle_()));
    this.restyle_();
    this.bindField_();
    this.applyReadOnly_();
    if (!this.tilesTried_) {
      this.tilesTried_ = true;
      addOnlineTiles(this.map_, this);
    }
  }

  disconnectedCallback() {
    this.unbindField_();
    for (const fn of this.cleanups_.splice(0)) {
      fn();
    }
    this.map_.setTarget(undefined);
  }

  attributeChangedCallback(name) {
    if (!this.built_ || !this.isConnected) {
      return;
    }
    if (name === 'for') {
      this.unbindField_();
      this.bindField_();
    } else if (name === 'format') {
      this.applyReadOnly_();
      this.readField_(true);
    } else if (name === 'warn-km2') {
      this.updateArea_();
    } else if (name === 'readonly') {
      this.applyReadOnly_();
    }
  }

  // ---- building ----

  build_() {
    this.built_ = true;
    const id = `gj-aoi-${++counter}`;
    this.classList.add('gj-map', 'gj-aoi-map');

    const bar = el('div', {class: 'gj-map-toolbar', role: 'toolbar', 'aria-label': 'Area of interest tools'});
    const button = (name, label, title) => {
      const b = el('button', {type: 'button', class: 'gj-map-btn', 'data-tool': name, title}, label);
      bar.append(b);
      return b;
    };
    this.buttons_ = {
      box: button('box', 'Box', 'Draw a box: drag on the map'),
      polygon: button('polygon', 'Polygon', 'Draw a polygon: click its corners; double-click or Enter to finish, Esc to cancel'),
      modify: button('modify', 'Modify', 'Drag the shape’s edges, corners or vertices'),
      clear: button('clear', 'Clear', 'Remove the area of interest'),
      zoom: button('zoom', 'Zoom to AOI', 'Fit the map to the area of interest'),
      upload: button('upload', 'Upload GeoJSON…', 'Read the area from a GeoJSON file'),
    };
    for (const t of ['box', 'polygon', 'modify']) {
      this.buttons_[t].setAttribute('aria-pressed', 'false');
    }
    this.file_ = el('input', {type: 'file', hidden: '', accept: '.geojson,.json,application/geo+json,application/json',
      'aria-label': 'GeoJSON file'});
    bar.append(this.file_);
    this.buildSearch_(bar, id);
    bar.addEventListener('click', (e) => {
      const b = e.target.closest('button[data-tool]');
      if (b && !b.disabled) {
        this.toolbar_(b.dataset.tool);
      }
    });
    this.file_.addEventListener('change', () => this.upload_());

    this.view_ = el('div', {
      class: 'gj-map-view', tabindex: '0', role: 'application', 'aria-roledescription': 'map',
      'aria-label': 'Area of interest map. Arrow keys pan, plus and minus zoom. Paste GeoJSON with Ctrl+V.',
      'aria-describedby': `${id}-status`,
    });
    this.view_.addEventListener('keydown', (e) => this.key_(e));
    this.addEventListener('paste', (e) => this.paste_(e));

    const status = el('div', {class: 'gj-map-status', id: `${id}-status`, 'aria-live': 'polite'});
    this.area_ = el('span', {class: 'gj-map-area'});
    this.warn_ = el('span', {class: 'gj-map-warn', hidden: ''});
    status.append(this.area_, this.warn_);
    this.error_ = el('div', {class: 'gj-map-error', id: `${id}-error`, role: 'alert', hidden: ''});
    // The page puts the server's message about this value inside the map; the map says
    // it in its own message line while the text is the one the server judged, so the
    // problem is said once, in one place.
    this.judged_ = [...this.querySelectorAll(':scope > .field-error')].map((e) => e.textContent.trim()).filter(Boolean).join(' ');
    this.querySelectorAll(':scope > .field-error').forEach((e) => e.remove());
    this.judgedText_ = null;
    this.hint_ = el('p', {class: 'gj-map-hint'});
    this.append(bar, this.view_, status, this.error_, this.hint_);

    this.source_ = new VectorSource({wrapX: false});
    this.layer_ = new VectorLayer({source: this.source_, zIndex: 10, style: () => this.style_,
      properties: {name: 'aoi'}});
    this.map_ = createMap(this, this.view_);
    this.map_.addLayer(this.layer_);
    this.boxEdit_ = new BoxEdit({getFeature: () => this.feature_(), onEnd: () => this.commitFromMap_(true)});
    this.modify_ = new Modify({source: this.source_});
    this.modify_.on('modifyend', () => this.commitFromMap_(false));
    this.map_.addInteraction(this.boxEdit_);
    this.map_.addInteraction(this.modify_);
    this.setTool_('modify');
  }

  // ---- place search (offline) ----

  buildSearch_(bar, id) {
    const box = el('div', {class: 'gj-map-search'});
    this.find_ = el('input', {type: 'search', class: 'gj-map-find', placeholder: 'Find a place…', autocomplete: 'off',
      spellcheck: 'false', 'aria-label': 'Find a place on the map (offline: countries and large cities)',
      'aria-controls': `${id}-places`, 'aria-autocomplete': 'list', 'data-testid': 'place-search'});
    this.places_ = el('ul', {class: 'gj-map-places', id: `${id}-places`, role: 'listbox', hidden: ''});
    box.append(this.find_, this.places_);
    bar.append(box);
    this.find_.addEventListener('input', () => this.findPlaces_());
    // Enter picks a place and never submits the form the map is in (implicit submission
    // happens on keypress, which some input paths send apart from keydown).
    this.find_.addEventListener('keypress', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
      }
    });
    this.find_.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault(); // never submits the form the map is in
        const first = this.places_.querySelector('li');
        if (first) {
          first.click();
        }
      } else if (e.key === 'Escape') {
        this.places_.hidden = true;
      }
    });
    this.places_.addEventListener('click', (e) => {
      const li = e.target.closest('li');
      if (li && this.found_) {
        this.goTo_(this.found_[Number(li.dataset.i)]);
      }
    });
  }

  findPlaces_() {
    const q = this.find_.value;
    loadPlaces().then((places) => {
      if (this.find_.value !== q) {
        return; // typed on meanwhile
      }
      this.found_ = searchPlaces(places, q);
      this.places_.replaceChildren(...this.found_.map((p, i) => el('li', {role: 'option', 'data-i': String(i), tabindex: '-1'},
        p.kind === 'country' ? `${p.name} (country)` : `${p.name}, ${p.where}`)));
      this.places_.hidden = this.found_.length === 0;
    }, () => {
      this.places_.replaceChildren(el('li', {role: 'option', 'aria-disabled': 'true'}, 'The place list could not be loaded.'));
      this.places_.hidden = false;
    });
  }

  goTo_(p) {
    if (!p) {
      return;
    }
    const view = this.map_.getView();
    if (p.extent) {
      view.fit(transformExtent(p.extent, 'EPSG:4326', 'EPSG:3857'), {size: this.map_.getSize(), padding: FIT_PADDING, maxZoom: 9});
    } else {
      view.setCenter(fromLonLat([p.lon, p.lat]));
      view.setZoom(10);
    }
    this.places_.hidden = true;
    this.find_.value = p.name;
    this.setAttribute('data-place', p.name);
  }

  restyle_() {
    const accent = cssVar(this, '--accent', '#1d6fa5');
    const stroke = new Stroke({color: accent, width: 2.5});
    this.style_ = [
      new Style({
        stroke: new Stroke({color: withAlpha(cssVar(this, '--card', '#ffffff'), 0.9), width: 5}),
      }),
      new Style({
        stroke,
        fill: new Fill({color: withAlpha(accent, 0.14)}),
        image: new CircleStyle({radius: 6, fill: new Fill({color: accent}),
          stroke: new Stroke({color: cssVar(this, '--card', '#ffffff'), width: 2})}),
      }),
    ];
    this.sketchStyle_ = new Style({
      stroke: new Stroke({color: accent, width: 2, lineDash: [6, 4]}),
      fill: new Fill({color: withAlpha(accent, 0.1)}),
      image: new CircleStyle({radius: 5, fill: new Fill({color: accent})}),
    });
    if (this.draw_) {
      this.draw_.getOverlay().setStyle(this.sketchStyle_);
    }
    this.layer_.changed();
    this.map_.get('restyleBase')();
  }

  applyReadOnly_() {
    const ro = this.readOnly;
    const box = this.format === 'bbox-string' || this.format === 'ogc-bbox';
    for (const [name, b] of Object.entries(this.buttons_)) {
      b.hidden = ro ? name !== 'zoom' : name === 'polygon' && box;
    }
    this.hint_.textContent = ro ? '' : box
      ? 'Box: drag on the map. Modify: drag the box’s edges, corners or inside. Or type “minLon,minLat,maxLon,maxLat” in the field, or paste GeoJSON on the map (Ctrl+V).'
      : 'Box: drag on the map. Polygon: click the corners, double-click or Enter to finish, Esc to cancel. Or edit the field, or paste GeoJSON on the map (Ctrl+V).';
    this.hint_.hidden = ro;
    // With no area yet, a drag draws a box (F-13); Modify is for an existing shape.
    this.setTool_(ro ? 'none' : this.aoi_ ? 'modify' : 'box');
  }

  // ---- field binding ----

  bindField_() {
    const id = this.getAttribute('for');
    const root = this.getRootNode();
    const field = id ? (root.getElementById ? root.getElementById(id) : document.getElementById(id)) : null;
    if (!field || !('value' in field)) {
      this.field_ = null;
      this.showError_(id ? `No form field with id “${id}” for this map.` : 'The map has no “for” attribute naming its field.');
      this.fit_();
      return;
    }
    this.field_ = field;
    if (this.judgedText_ === null) {
      this.judgedText_ = field.value;
    }
    field.addEventListener('input', this.onFieldInput_);
    field.addEventListener('change', this.onFieldInput_);
    field.addEventListener('paste', this.onFieldPaste_);
    const described = (field.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
    if (!described.includes(this.error_.id)) {
      described.push(this.error_.id);
      field.setAttribute('aria-describedby', described.join(' '));
    }
    this.readField_(true);
  }

  unbindField_() {
    const f = this.field_;
    if (f) {
      f.removeEventListener('input', this.onFieldInput_);
      f.removeEventListener('change', this.onFieldInput_);
      f.removeEventListener('paste', this.onFieldPaste_);
      this.field_ = null;
    }
  }

  /** Reads the field's text into the map; invalid text shows a message and keeps the shape. */
  readField_(fit) {
    if (this.writing_ || !this.field_) {
      return;
    }
    let aoi;
    try {
      aoi = parseValue(this.field_.value, this.format);
    } catch (e) {
      if (!(e instanceof AoiError)) {
        throw e;
      }
      this.showError_(e.message);
      return;
    }
    this.showError_('');
    this.show_(aoi);
    if (!this.readOnly && this.tool_ !== 'none' && this.tool_ !== 'polygon') {
      this.setTool_(aoi ? 'modify' : 'box');
    }
    if (fit) {
      this.fit_();
    }
  }

  writeField_() {
    const f = this.field_;
    if (!f) {
      return;
    }
    f.value = this.aoi_ ? formatValue(this.aoi_, this.format) : '';
    this.showError_('');
    this.writing_ = true;
    try {
      f.dispatchEvent(new Event('input', {bubbles: true}));
      f.dispatchEvent(new Event('change', {bubbles: true}));
    } finally {
      this.writing_ = false;
    }
  }

  showError_(own) {
    let msg = own;
    if (!msg && this.judged_ && this.field_ && this.field_.value === this.judgedText_) {
      // The server's word on this text stands until the text changes; it does not
      // block the form (the server judges again when it is sent).
      msg = this.judged_;
    }
    this.error_.textContent = msg;
    this.error_.hidden = !msg;
    this.toggleAttribute('data-invalid', !!msg);
    const f = this.field_;
    if (f) {
      if (msg) {
        f.setAttribute('aria-invalid', 'true');
      } else {
        f.removeAttribute('aria-invalid');
      }
      if (typeof f.setCustomValidity === 'function') {
        f.setCustomValidity(own);
      }
    }
  }

  // ---- shape ----

  feature_() {
    return this.source_.getFeatures()[0] || null;
  }

  /** Shows an AOI (lon/lat) on the map without touching the field. */
  show_(aoi) {
    this.aoi_ = aoi;
    this.source_.clear();
    if (aoi) {
      const g = toOlGeometry(aoi.geometry).transform('EPSG:4326', 'EPSG:3857');
      this.source_.addFeature(new Feature(g));
    }
    this.updateArea_();
    if (this.tool_ === 'modify') {
      this.setTool_('modify');
    }
  }

  /** Takes a new AOI from the map or a paste: shows it, rewrites the field. */
  commit_(aoi, fit) {
    if (aoi && (this.format === 'bbox-string' || this.format === 'ogc-bbox') && !isRectangle(aoi.geometry)) {
      aoi = boxAoi(aoiBbox(aoi));
    }
    if (aoi && this.aoi_ && aoi.props === undefined) {
      aoi.props = this.aoi_.props;
      if (this.aoi_.id !== undefined) {
        aoi.id = this.aoi_.id;
      }
    }
    if (aoi) {
      // The field's text is the truth: show exactly what it now holds (rounded coordinates).
      try {
        const exact = parseValue(formatValue(aoi, this.format), this.format);
        exact.isBox = exact.isBox || aoi.isBox;
        aoi = exact;
      } catch (e) {
        if (!(e instanceof AoiError)) {
          throw e;
        }
      }
    }
    this.show_(aoi);
    this.writeField_();
    if (fit) {
      this.fit_();
    }
  }

  commitFromMap_(isBox) {
    const f = this.feature_();
    if (!f) {
      return;
    }
    const g = f.getGeometry().clone().transform('EPSG:3857', 'EPSG:4326');
    const aoi = fromOlGeometry(g, isBox);
    aoi.isBox = isBox || isRectangle(aoi.geometry);
    this.commit_(aoi, false);
  }

  updateArea_() {
    if (!this.aoi_) {
      this.area_.textContent = this.readOnly ? 'No area of interest' : 'No area of interest yet';
      this.warn_.hidden = true;
      this.removeAttribute('data-warning');
      return;
    }
    const km2 = aoiAreaKm2(this.aoi_);
    const t = this.aoi_.geometry.type;
    this.area_.textContent = t === 'Polygon' || t === 'MultiPolygon'
      ? `Area: ${formatKm2(km2)} km²`
      : `${t} (no area)`;
    const over = km2 > this.warnKm2;
    this.warn_.hidden = !over;
    this.warn_.textContent = over
      ? `Large area: above ${formatKm2(this.warnKm2)} km², the job may be slow or refused.`
      : '';
    this.toggleAttribute('data-warning', over);
  }

  // ---- view ----

  sized_() {
    this.map_.updateSize();
    const size = this.map_.getSize();
    if (this.pendingFit_ && size && size[0] > 0 && size[1] > 0) {
      const fn = this.pendingFit_;
      this.pendingFit_ = null;
      fn();
    }
  }

  /** Fits the view to the AOI (or the world without one), once the map has a size. */
  fit_() {
    const run = () => {
      const f = this.feature_();
      if (!f) {
        fitWorld(this.map_);
        return;
      }
      this.map_.getView().fit(f.getGeometry().getExtent(), {
        size: this.map_.getSize(), padding: FIT_PADDING, maxZoom: 15,
      });
    };
    const size = this.map_.getSize();
    if (size && size[0] > 0 && size[1] > 0) {
      this.pendingFit_ = null;
      run();
    } else {
      this.pendingFit_ = run;
    }
  }

  // ---- tools ----

  toolbar_(name) {
    switch (name) {
      case 'box':
      case 'polygon':
      case 'modify':
        this.setTool_(name);
        this.view_.focus({preventScroll: true});
        break;
      case 'clear':
        this.commit_(null, false);
        this.setTool_('box');
        break;
      case 'zoom':
        this.fit_();
        break;
      case 'upload':
        this.file_.click();
        break;
    }
  }

  setTool_(name) {
    if (this.draw_) {
      this.map_.removeInteraction(this.draw_);
      this.draw_ = null;
    }
    this.tool_ = name;
    const f = this.feature_();
    const box = !!this.aoi_ && this.aoi_.isBox;
    this.boxEdit_.setActive(name === 'modify' && !!f && box);
    this.modify_.setActive(name === 'modify' && !!f && !box);
    if (name === 'box' || name === 'polygon') {
      this.draw_ = name === 'box'
        ? new Draw({type: 'Circle', geometryFunction: createBox(), freehand: true, style: this.sketchStyle_})
        : new Draw({type: 'Polygon', stopClick: true, style: this.sketchStyle_});
      this.draw_.on('drawend', (e) => this.drawEnd_(e.feature, name === 'box'));
      this.map_.addInteraction(this.draw_);
    }
    for (const t of ['box', 'polygon', 'modify']) {
      this.buttons_[t].setAttribute('aria-pressed', String(t === name));
    }
    this.setAttribute('data-tool', name);
  }

  drawEnd_(feature, isBox) {
    const g = feature.getGeometry();
    const [minx, miny, maxx, maxy] = g.getExtent();
    // A click without a drag makes an empty box: ignore it.
    if (maxx - minx > 0 && maxy - miny > 0) {
      this.source_.clear();
      this.source_.addFeature(new Feature(g));
      this.commitFromMap_(isBox);
    }
    // Leave the tool after this event: the Draw interaction is still handling it.
    setTimeout(() => this.setTool_('modify'), 0);
  }

  key_(e) {
    if (e.key === 'Escape' && this.draw_) {
      this.draw_.abortDrawing();
      this.setTool_('modify');
      e.preventDefault();
    } else if (e.key === 'Enter' && this.draw_ && this.tool_ === 'polygon') {
      this.draw_.finishDrawing();
      e.preventDefault();
    } else if ((e.key === 'Backspace' || e.key === 'Delete') && this.draw_ && this.tool_ === 'polygon') {
      this.draw_.removeLastPoint();
      e.preventDefault();
    }
  }

  // ---- paste and upload ----

  paste_(e) {
    if (this.readOnly || e.target === this.field_) {
      return;
    }
    const text = e.clipboardData ? e.clipboardData.getData('text') : '';
    e.preventDefault();
    this.takeText_(text);
  }

  /** A paste into the field that replaces its value with GeoJSON of another kind is converted. */
  fieldPaste_(e) {
    if (this.readOnly || !e.clipboardData) {
      return;
    }
    const f = this.field_;
    const whole = f.value.trim() === '' || (f.selectionStart === 0 && f.selectionEnd === f.value.length);
    const text = e.clipboardData.getData('text');
    if (!whole) {
      return;
    }
    try {
      parseValue(text, this.format);
      return; // already in the field's format: let the paste happen
    } catch {
      // try the lenient reader below
    }
    let aoi;
    try {
      aoi = parseAny(text);
    } catch {
      return; // let the paste happen; the input handler shows why it is invalid
    }
    e.preventDefault();
    this.commit_(aoi, true);
  }

  takeText_(text) {
    try {
      this.commit_(parseAny(text), true);
    } catch (err) {
      if (!(err instanceof AoiError)) {
        throw err;
      }
      this.showError_(`Could not read the pasted text: ${err.message}`);
    }
  }

  async upload_() {
    const file = this.file_.files && this.file_.files[0];
    this.file_.value = '';
    if (!file) {
      return;
    }
    if (file.size > MAX_UPLOAD_BYTES) {
      this.showError_(`“${file.name}” is too large (${Math.round(file.size / 1048576)} MiB); the limit is 20 MiB.`);
      return;
    }
    let text;
    try {
      text = await file.text();
    } catch {
      this.showError_(`Could not read “${file.name}”.`);
      return;
    }
    try {
      this.commit_(parseAny(text), true);
    } catch (err) {
      if (!(err instanceof AoiError)) {
        throw err;
      }
      this.showError_(`“${file.name}”: ${err.message}`);
    }
  }
}

if (!customElements.get('gj-aoi-map')) {
  customElements.define('gj-aoi-map', GjAoiMap);
}
