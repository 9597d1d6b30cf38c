// Cloud-Optimized GeoTIFF previews, loaded on demand by <gj-footprints-map> (a separate chunk,
// so pages with only forms never download geotiff.js or proj4). Reads by HTTP Range requests.
import WebGLTileLayer from 'ol/layer/WebGLTile.js';
import GeoTIFF from 'ol/source/GeoTIFF.js';
import proj4 from 'proj4';
import {register, setProjectionCodeLookup} from 'ol/proj/proj4.js';

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

function num(v) {
  const n = Number(v);
  return v !== undefined && v !== null && v !== '' && Number.isFinite(n) ? n : undefined;
}

/**
 * Adds one WebGL tile layer per item, clipped to its footprint's extent.
 * @param {import('ol/Map.js').default} map
 * @param {Array<{url: string, feature: import('ol/Feature.js').default}>} items
 * @param {number} zIndex
 * @return {Array<WebGLTileLayer>}
 */
export function addCogLayers(map, items, zIndex) {
  return items.map(({url, feature}) => {
    const source = new GeoTIFF({
      sources: [{
        url,
        min: num(feature.get('data-cog-min')),
        max: num(feature.get('data-cog-max')),
        nodata: num(feature.get('data-cog-nodata')),
      }],
      loadMissingProjection: true,
      convertToRGB: 'auto',
      sourceOptions: {allowFullFile: false},
      transition: 0,
    });
    const layer = new WebGLTileLayer({
      source,
      zIndex,
      opacity: 0.9,
      extent: feature.getGeometry().getExtent(),
      properties: {name: 'cog-preview'},
    });
    map.addLayer(layer);
    return layer;
  });
}
