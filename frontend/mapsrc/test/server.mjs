// A tiny static server for the browser tests: serves frontend/static under /static/ with the
// same security headers as the geojobs server, plus test pages, a local tile and test data.
import http from 'node:http';
import {readFile, stat} from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const roots = {'/static/': path.resolve(here, '../../static'), '/test/': path.join(here, 'pages')};

// Kept equal to backend/server/guard.go (connect-src without the WebSocket entries).
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; " +
  "connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'";

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json', '.geojson': 'application/geo+json', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.tif': 'image/tiff', '.txt': 'text/plain; charset=utf-8',
};

function crc32(buf) {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) {
      c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
  }
  return ~c >>> 0;
}

/** A 256×256 PNG of one colour. */
export function solidPNG(r, g, b) {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr[8] = 8;
  ihdr[9] = 2; // RGB
  const row = Buffer.alloc(1 + 256 * 3);
  for (let i = 0; i < 256; i++) {
    row[1 + i * 3] = r;
    row[2 + i * 3] = g;
    row[3 + i * 3] = b;
  }
  const raw = Buffer.concat(Array.from({length: 256}, () => row));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Starts the server on 127.0.0.1 and a free port. extra maps a path to {type, body}.
 * @return {Promise<{url: string, close: function(): Promise<void>, requests: Array<string>}>}
 */
export async function start(extra = {}) {
  const tile = solidPNG(200, 120, 60);
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const u = new URL(req.url, 'http://x');
    requests.push(u.pathname);
    const headers = {
      'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer',
      'Cache-Control': 'no-store', 'Accept-Ranges': 'bytes',
    };
    let body = null;
    let type = '';
    if (extra[u.pathname]) {
      ({body, type} = extra[u.pathname]);
    } else if (/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(u.pathname)) {
      body = tile;
      type = 'image/png';
    } else {
      const prefix = Object.keys(roots).find((p) => u.pathname.startsWith(p));
      if (prefix) {
        const file = path.resolve(roots[prefix], '.' + decodeURIComponent(u.pathname.slice(prefix.length - 1)));
        if (file.startsWith(roots[prefix] + path.sep)) {
          try {
            if ((await stat(file)).isFile()) {
              body = await readFile(file);
              type = TYPES[path.extname(file)] || 'application/octet-stream';
            }
          } catch {
            // not found
          }
        }
      }
    }
    if (body === null) {
      res.writeHead(404, {...headers, 'Content-Type': 'text/plain'});
      res.end('not found');
      return;
    }
    body = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (range) {
      const startB = Number(range[1]);
      const end = Math.min(range[2] ? Number(range[2]) : body.length - 1, body.length - 1);
      res.writeHead(206, {...headers, 'Content-Type': type, 'Content-Range': `bytes ${startB}-${end}/${body.length}`,
        'Content-Length': end - startB + 1});
      res.end(body.subarray(startB, end + 1));
      return;
    }
    res.writeHead(200, {...headers, 'Content-Type': type, 'Content-Length': body.length});
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

