// Parsing and formatting of area-of-interest values, in lon/lat (CRS84), independent of the map.
// Everything here is pure and runs in Node as well (see test/geo.test.mjs).
import {getArea} from 'ol/sphere.js';
import Polygon from 'ol/geom/Polygon.js';
import MultiPolygon from 'ol/geom/MultiPolygon.js';
import Point from 'ol/geom/Point.js';
import LineString from 'ol/geom/LineString.js';
import MultiPoint from 'ol/geom/MultiPoint.js';
import MultiLineString from 'ol/geom/MultiLineString.js';

export const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
export const FORMATS = ['bbox-string', 'ogc-bbox', 'geojson-geometry', 'geojson-feature'];
const GEOMETRY_TYPES = ['Polygon', 'MultiPolygon', 'Point', 'MultiPoint', 'LineString', 'MultiLineString'];
const CRS84_ALIASES = new Set([
  CRS84,
  'https://www.opengis.net/def/crs/OGC/1.3/CRS84',
  'urn:ogc:def:crs:OGC:1.3:CRS84',
  'EPSG:4326', // lon/lat order is what clients mean in practice; axis order is not guessed here
  'http://www.opengis.net/def/crs/EPSG/0/4326',
]);

/** A value-level error: its message is shown to the user as is. */
export class AoiError extends Error {}

/**
 * An AOI in lon/lat: {type, coordinates} a GeoJSON geometry object, plus `bbox: true` when it is
 * a longitude/latitude box (a bbox value, or a rectangle drawn as a box), and `props`/`id` kept
 * from a parsed Feature so that writing it back does not lose them.
 * @typedef {{geometry: {type: string, coordinates: any}, isBox: boolean, props?: object|null, id?: string|number}} Aoi
 */

/**
 * Parses the text of a field in the given format. Empty text is null (no AOI).
 * Throws AoiError with a user-facing message for invalid text.
 * @param {string} text
 * @param {string} format one of FORMATS
 * @return {Aoi|null}
 */
export function parseValue(text, format) {
  const s = (text || '').trim();
  if (s === '') {
    return null;
  }
  switch (format) {
    case 'bbox-string':
      return boxAoi(parseBboxString(s));
    case 'ogc-bbox': {
      if (!s.startsWith('{') && !s.startsWith('[')) {
        // The form accepts "minx,miny,maxx,maxy" for a bounding box input too (its hint says so).
        return boxAoi(parseBboxString(s));
      }
      const obj = parseJSON(s);
      if (!obj || typeof obj !== 'object' || !Array.isArray(obj.bbox)) {
        throw new AoiError('Expected a JSON object with a "bbox" array, like {"bbox":[minLon,minLat,maxLon,maxLat],"crs":"…CRS84"}.');
      }
      if (obj.crs !== undefined && !CRS84_ALIASES.has(obj.crs)) {
        throw new AoiError(`Unsupported CRS "${String(obj.crs).slice(0, 80)}": use CRS84 (longitude, latitude).`);
      }
      return boxAoi(checkBbox(obj.bbox));
    }
    case 'geojson-geometry': {
      const obj = parseJSON(s);
      if (obj && (obj.type === 'Feature' || obj.type === 'FeatureCollection')) {
        // What geojson.io and QGIS export: the form sends its geometry (several polygons
        // as one MultiPolygon), as Upload does.
        const aoi = parseAny(s);
        return {geometry: aoi.geometry, isBox: aoi.isBox};
      }
      if (!obj || typeof obj !== 'object' || !GEOMETRY_TYPES.includes(obj.type)) {
        throw new AoiError(`Expected a GeoJSON geometry (Polygon or MultiPolygon), got ${describe(obj)}.`);
      }
      return geometryAoi(checkGeometry(obj));
    }
    case 'geojson-feature': {
      const obj = parseJSON(s);
      if (!obj || typeof obj !== 'object' || obj.type !== 'Feature') {
        throw new AoiError(`Expected a GeoJSON Feature, got ${describe(obj)}.`);
      }
      if (!obj.geometry) {
        throw new AoiError('The Feature has no geometry.');
      }
      const aoi = geometryAoi(checkGeometry(obj.geometry));
      aoi.props = obj.properties && typeof obj.properties === 'object' ? obj.properties : null;
      if (obj.id !== undefined) {
        aoi.id = obj.id;
      }
      return aoi;
    }
    default:
      throw new AoiError(`Unknown format "${format}".`);
  }
}

/**
 * Reads pasted or uploaded text leniently: a GeoJSON Feature, FeatureCollection (its polygon,
 * its polygons as one MultiPolygon when it has several, else its first feature), or Geometry; an OGC bbox object; or a "minx,miny,maxx,maxy" string.
 * @param {string} text
 * @return {Aoi}
 */
export function parseAny(text) {
  const s = (text || '').trim();
  if (s === '') {
    throw new AoiError('Nothing to read: the text is empty.');
  }
  if (!s.startsWith('{')) {
    return boxAoi(parseBboxString(s));
  }
  const obj = parseJSON(s);
  if (Array.isArray(obj.bbox) && !obj.type) {
    return parseValue(s, 'ogc-bbox');
  }
  if (obj.type === 'FeatureCollection') {
    const feats = Array.isArray(obj.features) ? obj.features.filter((f) => f && f.geometry) : [];
    if (feats.length === 0) {
      throw new AoiError('The FeatureCollection has no feature with a geometry.');
    }
    const polys = feats.filter((f) => f.geometry.type === 'Polygon' || f.geometry.type === 'MultiPolygon');
    if (polys.length > 1) {
      // Several areas: all of them, as one MultiPolygon (never silently the first).
      const coordinates = [];
      for (const f of polys) {
        if (f.geometry.type === 'Polygon') {
          coordinates.push(f.geometry.coordinates);
        } else if (Array.isArray(f.geometry.coordinates)) {
          coordinates.push(...f.geometry.coordinates);
        }
      }
      return geometryAoi(checkGeometry({type: 'MultiPolygon', coordinates}));
    }
    return parseValue(JSON.stringify(polys[0] || feats[0]), 'geojson-feature');
  }
  if (obj.type === 'Feature') {
    return parseValue(s, 'geojson-feature');
  }
  if (obj.type === 'GeometryCollection') {
    const poly = (obj.geometries || []).find((g) => g && (g.type === 'Polygon' || g.type === 'MultiPolygon'));
    if (!poly) {
      throw new AoiError('The GeometryCollection has no Polygon.');
    }
    return geometryAoi(checkGeometry(poly));
  }
  return parseValue(s, 'geojson-geometry');
}

/**
 * Formats an AOI for a field of the given format. Box formats use the AOI's extent.
 * @param {Aoi} aoi
 * @param {string} format
 * @return {string}
 */
export function formatValue(aoi, format) {
  switch (format) {
    case 'bbox-string':
      return aoiBbox(aoi).map(num).join(',');
    case 'ogc-bbox':
      return JSON.stringify({bbox: aoiBbox(aoi).map((v) => Number(num(v))), crs: CRS84});
    case 'geojson-geometry':
      return JSON.stringify(roundGeometry(aoi.geometry));
    case 'geojson-feature': {
      const f = {type: 'Feature'};
      if (aoi.id !== undefined) {
        f.id = aoi.id;
      }
      f.properties = aoi.props || {};
      f.geometry = roundGeometry(aoi.geometry);
      return JSON.stringify(f);
    }
    default:
      throw new AoiError(`Unknown format "${format}".`);
  }
}

/**
 * The lon/lat box of an AOI as [minx, miny, maxx, maxy]. For a box crossing the antimeridian
 * minx > maxx, as in OGC API bbox parameters.
 * @param {Aoi} aoi
 * @return {Array<number>}
 */
export function aoiBbox(aoi) {
  let minx = Infinity;
  let miny = Infinity;
  let maxx = -Infinity;
  let maxy = -Infinity;
  eachPosition(aoi.geometry.coordinates, (p) => {
    minx = Math.min(minx, p[0]);
    maxx = Math.max(maxx, p[0]);
    miny = Math.min(miny, p[1]);
    maxy = Math.max(maxy, p[1]);
  });
  if (maxx - minx >= 360) {
    return [-180, miny, 180, maxy];
  }
  const shift = Math.floor((minx + 180) / 360) * 360;
  minx -= shift;
  maxx -= shift;
  if (maxx > 180) {
    maxx -= 360; // crosses the antimeridian
  }
  return [minx, miny, maxx, maxy];
}

/**
 * Geodesic area in km² (ol/sphere on the WGS84 mean radius); 0 for points and lines.
 * @param {Aoi} aoi
 * @return {number}
 */
export function aoiAreaKm2(aoi) {
  const g = toOlGeometry(aoi.geometry);
  if (!(g instanceof Polygon || g instanceof MultiPolygon)) {
    return 0;
  }
  return getArea(g, {projection: 'EPSG:4326'}) / 1e6;
}

/**
 * An OpenLayers geometry in lon/lat for a GeoJSON geometry object.
 * @param {{type: string, coordinates: any}} geom
 */
export function toOlGeometry(geom) {
  switch (geom.type) {
    case 'Polygon':
      return new Polygon(geom.coordinates);
    case 'MultiPolygon':
      return new MultiPolygon(geom.coordinates);
    case 'Point':
      return new Point(geom.coordinates);
    case 'MultiPoint':
      return new MultiPoint(geom.coordinates);
    case 'LineString':
      return new LineString(geom.coordinates);
    case 'MultiLineString':
      return new MultiLineString(geom.coordinates);
    default:
      throw new AoiError(`Unsupported geometry type ${geom.type}.`);
  }
}

/**
 * An AOI from an OpenLayers geometry in lon/lat (as drawn on the map, transformed back),
 * shifted by whole turns so that it lies around [-180, 180].
 * @param {import('ol/geom/Geometry.js').default} g
 * @param {boolean} isBox
 * @return {Aoi}
 */
export function fromOlGeometry(g, isBox) {
  const type = g.getType();
  let coords = g.getCoordinates();
  let minx = Infinity;
  let maxx = -Infinity;
  eachPosition(coords, (p) => {
    minx = Math.min(minx, p[0]);
    maxx = Math.max(maxx, p[0]);
  });
  const shift = Math.round((minx + maxx) / 2 / 360) * 360;
  if (shift !== 0) {
    coords = mapPositions(coords, (p) => [p[0] - shift, p[1]]);
  }
  return {geometry: {type, coordinates: coords}, isBox};
}

/**
 * A rectangle AOI for a bbox; a box crossing the antimeridian (minx > maxx) is unrolled eastwards.
 * @param {Array<number>} b
 * @return {Aoi}
 */
export function boxAoi(b) {
  const [minx, miny] = b;
  let [, , maxx, maxy] = b;
  if (minx > maxx) {
    maxx += 360;
  }
  return {
    geometry: {
      type: 'Polygon',
      coordinates: [[[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]],
    },
    isBox: true,
  };
}

/** Whether a GeoJSON geometry is one axis-aligned rectangle. */
export function isRectangle(geom) {
  if (geom.type !== 'Polygon' || geom.coordinates.length !== 1) {
    return false;
  }
  const r = geom.coordinates[0];
  if (r.length !== 5) {
    return false;
  }
  for (let i = 0; i < 4; i++) {
    const a = r[i];
    const b = r[i + 1];
    if (a[0] !== b[0] && a[1] !== b[1]) {
      return false;
    }
  }
  return r[0][0] === r[4][0] && r[0][1] === r[4][1];
}

function parseBboxString(s) {
  const parts = s.split(/\s*[,;\s]\s*/).filter((p) => p !== '');
  if (parts.length !== 4) {
    throw new AoiError(`Expected four numbers "minLon,minLat,maxLon,maxLat", got ${parts.length} value${parts.length === 1 ? '' : 's'}.`);
  }
  const nums = parts.map((p) => (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(p) ? Number(p) : NaN));
  const bad = nums.findIndex((n) => !Number.isFinite(n));
  if (bad >= 0) {
    throw new AoiError(`"${parts[bad].slice(0, 40)}" is not a number.`);
  }
  return checkBbox(nums);
}

function checkBbox(b) {
  if (b.length === 6) {
    b = [b[0], b[1], b[3], b[4]]; // 3D bbox: drop the heights
  }
  if (b.length !== 4 || !b.every((n) => typeof n === 'number' && Number.isFinite(n))) {
    throw new AoiError('A bbox must hold four numbers: minLon, minLat, maxLon, maxLat.');
  }
  const [minx, miny, maxx, maxy] = b;
  if (minx < -180 || minx > 180 || maxx < -180 || maxx > 180) {
    throw new AoiError('Longitudes must lie between -180 and 180.');
  }
  if (miny < -90 || maxy > 90) {
    throw new AoiError('Latitudes must lie between -90 and 90.');
  }
  if (miny >= maxy) {
    throw new AoiError('The minimum latitude must be below the maximum latitude.');
  }
  if (minx === maxx) {
    throw new AoiError('The box has no width: minimum and maximum longitude are equal.');
  }
  return [minx, miny, maxx, maxy];
}

function checkGeometry(g) {
  const depth = {Point: 1, MultiPoint: 2, LineString: 2, MultiLineString: 3, Polygon: 3, MultiPolygon: 4}[g.type];
  if (!checkDepth(g.coordinates, depth)) {
    throw new AoiError(`The ${g.type} has malformed coordinates.`);
  }
  let out = false;
  eachPosition(g.coordinates, (p) => {
    if (p[1] < -90 || p[1] > 90 || p[0] < -540 || p[0] > 540) {
      out = true;
    }
  });
  if (out) {
    throw new AoiError('Coordinates must be longitude, latitude in degrees (latitude between -90 and 90).');
  }
  if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    if (polys.length === 0) {
      throw new AoiError('The MultiPolygon is empty.');
    }
    for (const poly of polys) {
      if (poly.length === 0) {
        throw new AoiError('A polygon has no ring.');
      }
      for (const ring of poly) {
        if (ring.length < 4) {
          throw new AoiError('A polygon ring needs at least four positions (the first repeated last).');
        }
        const a = ring[0];
        const z = ring[ring.length - 1];
        if (a[0] !== z[0] || a[1] !== z[1]) {
          throw new AoiError('A polygon ring must end where it starts.');
        }
      }
    }
  }
  // keep only x, y
  return {type: g.type, coordinates: mapPositions(g.coordinates, (p) => [p[0], p[1]])};
}

function checkDepth(c, depth) {
  if (!Array.isArray(c)) {
    return false;
  }
  if (depth === 1) {
    return c.length >= 2 && typeof c[0] === 'number' && typeof c[1] === 'number' &&
      Number.isFinite(c[0]) && Number.isFinite(c[1]);
  }
  if (depth >= 2 && c.length === 0) {
    return depth !== 2;
  }
  return c.every((x) => checkDepth(x, depth - 1));
}

function geometryAoi(g) {
  return {geometry: g, isBox: isRectangle(g)};
}

function parseJSON(s) {
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new AoiError(`Not valid JSON: ${e.message}`);
  }
}

function describe(obj) {
  if (obj === null || typeof obj !== 'object') {
    return obj === null ? 'null' : typeof obj;
  }
  if (Array.isArray(obj)) {
    return 'an array';
  }
  return obj.type ? `a ${String(obj.type).slice(0, 40)}` : 'an object without "type"';
}

function eachPosition(c, fn) {
  if (typeof c[0] === 'number') {
    fn(c);
    return;
  }
  for (const x of c) {
    eachPosition(x, fn);
  }
}

function mapPositions(c, fn) {
  if (typeof c[0] === 'number') {
    return fn(c);
  }
  return c.map((x) => mapPositions(x, fn));
}

function roundGeometry(g) {
  return {type: g.type, coordinates: mapPositions(g.coordinates, (p) => [Number(num(p[0])), Number(num(p[1]))])};
}

// Six decimals: about 0.1 m, well below any AOI's meaning; no exponent, no trailing zeros.
function num(v) {
  const r = Math.round(v * 1e6) / 1e6;
  return String(Object.is(r, -0) ? 0 : r);
}
