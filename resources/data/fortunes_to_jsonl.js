#!/usr/bin/env node
// Turns Debian's fortunes (one file per category, entries separated by "%" lines) into JSON lines
// {"text": ..., "category": ...}. Offensive and binary index files are skipped.
'use strict';
const fs = require('fs');
const path = require('path');

const [folder, out] = process.argv.slice(2);
if (!folder || !out) {
  console.error('usage: fortunes_to_jsonl.js <fortunes folder> <output.jsonl>');
  process.exit(2);
}
const lines = [];
for (const name of fs.readdirSync(folder).sort()) {
  const file = path.join(folder, name);
  if (name.includes('.') || !fs.statSync(file).isFile()) continue;  // .dat indexes, .u8 links
  const text = fs.readFileSync(file, 'utf8');
  for (const entry of text.split(/^%\s*$/m)) {
    const t = entry.replace(/^\n+|\s+$/g, '');
    if (t.length > 0) lines.push(JSON.stringify({ text: t, category: name }));
  }
}
fs.writeFileSync(out, lines.join('\n') + '\n');
console.log(`fortunes: ${lines.length} entries from ${folder}`);
