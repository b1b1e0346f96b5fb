// Responses that come from the path between a client and the provider rather than from the
// provider's API: a CDN's error pages and broken 200s. They are the same for every provider.
//
// The HTML pages imitate the minimal pages a Cloudflare edge serves (a `server: cloudflare`
// header, a `cf-ray` id, a centred heading); they are written here, not copied.

import { hex } from './providers/common.mjs';

function html(status, title, note) {
  const body = [
    '<html>',
    `<head><title>${title}</title></head>`,
    '<body>',
    `<center><h1>${title}</h1></center>`,
    `<hr><center>${note}</center>`,
    '</body>',
    '</html>',
    '',
  ].join('\r\n');
  return {
    status,
    headers: {
      'content-type': 'text/html',
      server: 'cloudflare',
      'cf-ray': `${hex(8)}-FRA`,
    },
    body,
  };
}

export const FIXED = {
  gateway_html: () => html(502, '502 Bad Gateway', 'cloudflare'),
  edge_blocked: () => html(403, '403 Forbidden', 'cloudflare'),
  empty: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '' }),
  not_json: () => ({
    status: 200,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body: 'upstream request completed\n',
  }),
};

/** The first half of a body, so that the JSON is cut mid-structure but the HTTP is whole. */
export function truncate(record) {
  return { ...record, body: record.body.slice(0, Math.floor(record.body.length / 2)) };
}
