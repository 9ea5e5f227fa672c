// sdk-bench.mjs: the official openai SDK consuming the benchmark stream.
//
// SPDX-License-Identifier: GPL-3.0-or-later
//
// node sdk-bench.mjs PORT RUNS SIZE... → one JSON line per size with the
// wall time of each run (request sent → last image decoded), in ms.

import OpenAI from 'openai';

const [port, runsArg, ...sizes] = process.argv.slice(2);
const runs = Number(runsArg);

async function once(client) {
  const t0 = performance.now();
  const stream = await client.images.generate({ model: 'gpt-image-1.5', prompt: 'bench', stream: true, partial_images: 2 });
  let images = 0;
  let bytes = 0;
  for await (const ev of stream) {
    if (ev.b64_json) {
      const buf = Buffer.from(ev.b64_json, 'base64');
      images++;
      bytes += buf.length;
    }
  }
  const ms = performance.now() - t0;
  if (images !== 3) throw new Error(`expected 3 images, got ${images}`);
  return { ms, bytes };
}

for (const size of sizes) {
  const client = new OpenAI({ apiKey: 'sk-bench-not-a-key', baseURL: `http://127.0.0.1:${port}/mb/${size}/v1`, maxRetries: 0 });
  await once(client); // warm-up: JIT, connection
  const times = [];
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const r = await once(client);
    times.push(r.ms);
    bytes = r.bytes;
  }
  process.stdout.write(JSON.stringify({ impl: 'openai-node', size_mb: Number(size), decoded_bytes: bytes, times_ms: times }) + '\n');
}
