// server.mjs: a loopback SSE server for the streaming benchmark.
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// POST /mb/<size>/v1/images/generations answers an Images API stream of
// 2 partial images and 1 final image, each with <size> MB of base64. The
// payload bytes start with the PNG signature so clients that check it accept
// them. Streams are generated once at start-up, so every client reads the
// very same bytes. Prints "PORT <n>" when ready.

import http from 'node:http';
import crypto from 'node:crypto';

const sizes = (process.env.BENCH_SIZES || '0.5,1,2,4,8').split(',').map(Number);
const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function b64Image(mb) {
  // base64 length = mb MiB, rounded to a multiple of 4 (no padding).
  const b64len = Math.floor((mb * 1024 * 1024) / 4) * 4;
  const raw = crypto.randomBytes((b64len / 4) * 3);
  png.copy(raw, 0);
  return raw.toString('base64');
}

function frame(type, fields) {
  const json = JSON.stringify({ type, ...fields });
  return `event: ${type}\ndata: ${json}\n\n`;
}

const streams = new Map();
for (const mb of sizes) {
  const meta = { created_at: 1795330809, size: '1024x1024', quality: 'high', background: 'opaque', output_format: 'png' };
  let body = '';
  body += frame('image_generation.partial_image', { b64_json: b64Image(mb), ...meta, partial_image_index: 0 });
  body += frame('image_generation.partial_image', { b64_json: b64Image(mb), ...meta, partial_image_index: 1 });
  body += frame('image_generation.completed', {
    b64_json: b64Image(mb), ...meta,
    usage: { total_tokens: 4379, input_tokens: 19, output_tokens: 4360, input_tokens_details: { text_tokens: 19, image_tokens: 0 } },
  });
  streams.set(String(mb), Buffer.from(body, 'utf8'));
}

const server = http.createServer((req, res) => {
  const m = /^\/mb\/([0-9.]+)\/v1\/images\/generations$/.exec(req.url);
  const body = m && streams.get(m[1]);
  req.resume();
  req.on('end', () => {
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"no such stream","type":"invalid_request_error","param":null,"code":null}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-length': body.length, 'x-request-id': 'req_bench' });
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});
