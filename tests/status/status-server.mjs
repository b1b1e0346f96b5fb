// A loopback stand-in for the providers' status pages: each path answers what the test set,
// honours If-None-Match with a 304 when the page's ETag matches, and records every request.
//
//   const pages = await startStatusServer();
//   pages.set('/api/v2/summary.json', { body: '{...}', type: 'application/json' });
//   pages.set('/moved', { status: 302, headers: { location: 'https://elsewhere.example/' } });
//   await pages.close();
import { createHash } from 'node:crypto';
import http from 'node:http';

/** Resolves to {url, set(path, page), requests(), clear(), close()}. */
export async function startStatusServer() {
  const pages = new Map();
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url, 'http://x').pathname;
      seen.push({ method: req.method, path, headers: req.headers,
                  body: Buffer.concat(chunks).toString('utf8') });
      answer(pages.get(path), req, res);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    set(path, page) { pages.set(path, page); },
    requests: () => [...seen],
    clear() { seen.length = 0; },
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function answer(page, req, res) {
  if (!page) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
    return;
  }
  const status = page.status ?? 200;
  const headers = { 'content-type': page.type ?? 'application/json', ...(page.headers ?? {}) };
  const body = page.body ?? '';
  if (status === 200 && page.etag !== false) {
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    headers.etag = etag;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag }).end();
      return;
    }
  }
  res.writeHead(status, headers).end(body);
}
