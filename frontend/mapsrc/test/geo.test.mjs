// Unit tests of the AOI value parsing and formatting (pure, no browser).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  parseValue, parseAny, formatValue, aoiBbox, aoiAreaKm2, boxAoi, fromOlGeometry, AoiError, CRS84,
} from '../src/geo.js';
import Polygon from 'ol/geom/Polygon.js';

const R = 6371008.8; // ol/sphere's default radius
function boxKm2([minx, miny, maxx, maxy]) {
  const rad = Math.PI / 180;
  return R * R * (maxx - minx) * rad * (Math.sin(maxy * rad) - Math.sin(miny * rad)) / 1e6;
}

test('bbox-string round trip, like ZOO water-bodies aoi', () => {
  const a = parseValue('-121.399,39.834,-120.74,40.472', 'bbox-string');
  assert.deepEqual(aoiBbox(a), [-121.399, 39.834, -120.74, 40.472]);
  assert.equal(a.isBox, true);
  assert.equal(formatValue(a, 'bbox-string'), '-121.399,39.834,-120.74,40.472');
  assert.deepEqual(aoiBbox(parseValue(' 1 2 3 4 ', 'bbox-string')), [1, 2, 3, 4]);
});

test('bbox-string rejects bad text with a clear message', () => {
  const cases = {
    'abc': /four numbers/,
    '1,2,3': /four numbers.*3 values/,
    '1,2,x,4': /"x" is not a number/,
    '1,50,3,40': /minimum latitude/,
    '1,2,200,4': /Longitudes/,
    '1,-95,3,4': /Latitudes/,
    '5,2,5,4': /no width/,
    '1e400,2,3,4': /not a number/,
  };
  for (const [text, re] of Object.entries(cases)) {
    assert.throws(() => parseValue(text, 'bbox-string'), (e) => e instanceof AoiError && re.test(e.message), text);
  }
  assert.equal(parseValue('   ', 'bbox-string'), null);
});

test('ogc-bbox with CRS84, 3D bbox, and foreign CRS refused', () => {
  const a = parseValue(`{"bbox":[5.9,45.8,10.5,47.8],"crs":"${CRS84}"}`, 'ogc-bbox');
  assert.deepEqual(aoiBbox(a), [5.9, 45.8, 10.5, 47.8]);
  assert.equal(formatValue(a, 'ogc-bbox'), `{"bbox":[5.9,45.8,10.5,47.8],"crs":"${CRS84}"}`);
  assert.deepEqual(aoiBbox(parseValue('{"bbox":[1,2,0,3,4,100]}', 'ogc-bbox')), [1, 2, 3, 4]);
  assert.throws(() => parseValue('{"bbox":[1,2,3,4],"crs":"EPSG:32632"}', 'ogc-bbox'), /Unsupported CRS/);
  assert.throws(() => parseValue('[1,2,3,4]', 'ogc-bbox'), /"bbox" array/);
  assert.throws(() => parseValue('{"bbox":[1,2,3', 'ogc-bbox'), /Not valid JSON/);
  // the form's hint offers "minx,miny,maxx,maxy" for a bounding box input: the map reads it too
  assert.deepEqual(aoiBbox(parseValue('5.9,45.8,10.5,47.8', 'ogc-bbox')), [5.9, 45.8, 10.5, 47.8]);
  assert.throws(() => parseValue('1,2,3', 'ogc-bbox'), /four numbers.*3 values/);
});

test('antimeridian-crossing box: unrolled for the map, written back with minx > maxx', () => {
  const a = parseValue('170,-20,-170,-10', 'bbox-string');
  assert.deepEqual(a.geometry.coordinates[0][1], [190, -20]);
  assert.deepEqual(aoiBbox(a), [170, -20, -170, -10]);
  assert.ok(Math.abs(aoiAreaKm2(a) - boxKm2([170, -20, 190, -10])) < 1e-6);
});

test('geojson-geometry and geojson-feature: types checked, properties kept', () => {
  const poly = '{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}';
  const g = parseValue(poly, 'geojson-geometry');
  assert.equal(g.isBox, false);
  assert.equal(formatValue(g, 'geojson-geometry'), poly);
  assert.equal(formatValue(parseValue(`{"type":"Feature","geometry":${poly}}`, 'geojson-geometry'), 'geojson-geometry'), poly);
  assert.throws(() => parseValue('{"type":"Topology"}', 'geojson-geometry'), /Expected a GeoJSON geometry/);
  assert.throws(() => parseValue(poly, 'geojson-feature'), /Expected a GeoJSON Feature, got a Polygon/);
  assert.throws(() => parseValue('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}', 'geojson-geometry'), /at least four/);
  assert.throws(() => parseValue('{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}', 'geojson-geometry'), /end where it starts/);
  assert.throws(() => parseValue('{"type":"Polygon","coordinates":[[0,0]]}', 'geojson-geometry'), /malformed/);
  assert.throws(() => parseValue('{"type":"Point","coordinates":[0,95]}', 'geojson-geometry'), /latitude between/);
  const f = parseValue(`{"type":"Feature","id":"a","properties":{"name":"x"},"geometry":${poly}}`, 'geojson-feature');
  assert.equal(formatValue(f, 'geojson-feature'), `{"type":"Feature","id":"a","properties":{"name":"x"},"geometry":${poly}}`);
  assert.deepEqual(parseValue('{"type":"Point","coordinates":[3,4,5]}', 'geojson-geometry').geometry, {type: 'Point', coordinates: [3, 4]});
  assert.equal(aoiAreaKm2(parseValue('{"type":"LineString","coordinates":[[0,0],[1,1]]}', 'geojson-geometry')), 0);
});

test('parseAny: FeatureCollection takes its polygon, bbox formats take its extent', () => {
  const fc = JSON.stringify({type: 'FeatureCollection', features: [
    {type: 'Feature', properties: {}, geometry: {type: 'Point', coordinates: [9, 9]}},
    {type: 'Feature', properties: {k: 1}, geometry: {type: 'Polygon', coordinates: [[[2, 1], [4, 1], [3, 5], [2, 1]]]}},
  ]});
  const a = parseAny(fc);
  assert.equal(a.geometry.type, 'Polygon');
  assert.deepEqual(a.props, {k: 1});
  assert.equal(formatValue(a, 'bbox-string'), '2,1,4,5');
  assert.equal(formatValue(parseAny('{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]],[[[5,5],[6,5],[6,7],[5,5]]]]}'), 'bbox-string'), '0,0,6,7');
  assert.deepEqual(aoiBbox(parseAny('{"bbox":[1,2,3,4]}')), [1, 2, 3, 4]);
  assert.deepEqual(aoiBbox(parseAny('1,2,3,4')), [1, 2, 3, 4]);
  assert.throws(() => parseAny('{"type":"FeatureCollection","features":[]}'), /no feature/);
  assert.throws(() => parseAny(''), /empty/);
});

test('a FeatureCollection typed into a geometry field is read as Upload reads it (F-15)', () => {
  const one = JSON.stringify({type: 'FeatureCollection', features: [
    {type: 'Feature', properties: {name: 'lake'}, geometry: {type: 'Polygon', coordinates: [[[7, 46], [8, 46], [7.5, 47], [7, 46]]]}},
  ]});
  assert.deepEqual(parseValue(one, 'geojson-geometry').geometry, {type: 'Polygon', coordinates: [[[7, 46], [8, 46], [7.5, 47], [7, 46]]]});
  const feature = JSON.stringify({type: 'Feature', properties: {}, geometry: {type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]]}});
  assert.equal(parseValue(feature, 'geojson-geometry').geometry.type, 'Polygon');
  const two = JSON.stringify({type: 'FeatureCollection', features: [
    {type: 'Feature', properties: {}, geometry: {type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
    {type: 'Feature', properties: {}, geometry: {type: 'Polygon', coordinates: [[[5, 5], [6, 5], [6, 6], [5, 5]]]}},
  ]});
  const a = parseValue(two, 'geojson-geometry');
  assert.equal(a.geometry.type, 'MultiPolygon');
  assert.equal(a.geometry.coordinates.length, 2);
  assert.equal(formatValue(parseAny(two), 'bbox-string'), '0,0,6,6');
});

test('area is geodesic', () => {
  const b = [-121.399, 39.834, -120.74, 40.472];
  const a = boxAoi(b);
  assert.ok(Math.abs(aoiAreaKm2(a) - boxKm2(b)) / boxKm2(b) < 1e-9);
  assert.ok(Math.abs(aoiAreaKm2(a) - 3979) < 10, `Lassen box is about 3979 km², got ${aoiAreaKm2(a)}`);
});

test('geometry from the map is shifted back into [-180, 180] and rounded on output', () => {
  const g = new Polygon([[[370.1234567, 10], [380, 10], [380, 20], [370.1234567, 20], [370.1234567, 10]]]);
  const a = fromOlGeometry(g, true);
  assert.equal(formatValue(a, 'bbox-string'), '10.123457,10,20,20');
  assert.equal(formatValue(boxAoi([-0.0000001, 1, 2, 3]), 'bbox-string'), '0,1,2,3');
});

test('rings across the antimeridian are unwrapped, Antarctica left as it is (F-14)', async () => {
  const {unwrapAntimeridian} = await import('../src/basemap.js');
  const fc = {type: 'FeatureCollection', features: [
    {type: 'Feature', id: '242', geometry: {type: 'Polygon', coordinates: [[[178, -17], [-179.5, -17], [-179.5, -16], [178, -16], [178, -17]]]}},
    {type: 'Feature', id: '250', geometry: {type: 'Polygon', coordinates: [[[2, 45], [3, 45], [3, 46], [2, 45]]]}},
    {type: 'Feature', id: '010', geometry: {type: 'Polygon', coordinates: [[[-180, -80], [180, -80], [180, -90], [-180, -90], [-180, -80]]]}},
  ]};
  unwrapAntimeridian(fc);
  assert.deepEqual(fc.features[0].geometry.coordinates[0].map((p) => p[0]), [178, 180.5, 180.5, 178, 178]);
  assert.deepEqual(fc.features[1].geometry.coordinates[0][0], [2, 45]);
  assert.deepEqual(fc.features[2].geometry.coordinates[0][0], [-180, -80]);
});

test('the offline gazetteer finds countries and cities by the start or a part of their name (F-13)', async () => {
  const {gazetteer, searchPlaces} = await import('../src/places.js');
  const places = gazetteer([['Zürich', 'CH', 8.55, 47.367], ['Geneva', 'CH', 6.146, 46.202], ['New Delhi', 'IN', 77.2, 28.6]],
    {type: 'FeatureCollection', features: [{type: 'Feature', properties: {name: 'Switzerland'},
      geometry: {type: 'Polygon', coordinates: [[[5.9, 45.8], [10.5, 45.8], [10.5, 47.8], [5.9, 47.8], [5.9, 45.8]]]}}]});
  assert.deepEqual(searchPlaces(places, 'zur').map((p) => p.name), ['Zürich']);
  assert.deepEqual(searchPlaces(places, 'SWITZ')[0].extent, [5.9, 45.8, 10.5, 47.8]);
  assert.deepEqual(searchPlaces(places, 'delhi').map((p) => p.name), ['New Delhi']);
  assert.deepEqual(searchPlaces(places, 'x'), []);
});
