// summarize.mjs: JSON lines from the benchmarks → a markdown table.
//
// SPDX-License-Identifier: GPL-3.0-or-later

import fs from 'node:fs';

const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const by = new Map();
for (const r of rows) by.set(`${r.impl}@${r.size_mb}`, median(r.times_ms));
const sizes = [...new Set(rows.map((r) => r.size_mb))].sort((a, b) => a - b);
const impls = [...new Set(rows.map((r) => r.impl))];

const fmt = (x) => (x === undefined ? '–' : x.toFixed(1));
console.log(`| base64 per image | ${impls.map((i) => `${i} (ms)`).join(' | ')} | SDK / easel-client | SDK / easel-raw | easel-client / bare-decode |`);
console.log(`|---|${impls.map(() => '---').join('|')}|---|---|---|`);
for (const s of sizes) {
  const sdk = by.get(`openai-node@${s}`);
  const cl = by.get(`easel-client@${s}`);
  const raw = by.get(`easel-raw@${s}`);
  const dec = by.get(`bare-decode@${s}`);
  console.log(`| ${s} MB ×3 | ${impls.map((i) => fmt(by.get(`${i}@${s}`))).join(' | ')} | ${sdk && cl ? (sdk / cl).toFixed(1) + '×' : '–'} | ${sdk && raw ? (sdk / raw).toFixed(1) + '×' : '–'} | ${cl && dec ? (cl / dec).toFixed(1) + '×' : '–'} |`);
}
console.log('');
console.log('ms per MB of base64 (median time / (3 × size)), to judge linearity:');
for (const i of impls) console.log(`  ${i}: ${sizes.map((s) => (by.get(`${i}@${s}`) / (3 * s)).toFixed(2)).join('  ')}`);
