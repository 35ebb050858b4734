#!/usr/bin/env node
// Builds the multimodal collection's image-text data as JSON-lines manifests, one pair a line:
// {"image", "text", "source", "split"} and, for Fashion-MNIST, "index" (the image's place in an
// IDX file) and "label" (its class as a phrase, used only to measure zero-shot classification).
//  - emoji.jsonl: every Twitter emoji of npm emoji-datasource-twitter (64x64 PNG, copied to
//    emoji/) with its lower-cased Unicode name; split by emoji (a hash of its code points), so a
//    test emoji was never seen in training.
//  - fashion.jsonl: Fashion-MNIST images with captions generated from the class and two
//    attributes measured on the image itself (tone of the garment, width against its class's
//    median), e.g. "a photo of a dark wide sneaker". Train and validation items come from the
//    training file, test items from the test file.
//  - captions_train.txt: the training captions, one a line, for the tokenizer.
'use strict';
const fs = require('fs');
const path = require('path');

const [emojiDir, fashionDir, outDir] = process.argv.slice(2);
if (!emojiDir || !fashionDir || !outDir) {
  console.error('usage: image_text_manifests.js <emoji-datasource-twitter> <fashion_mnist IDX folder> <output folder>');
  process.exit(2);
}

function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(text)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}
function splitOf(key) {
  const bucket = fnv1a(key) % 10;
  return bucket === 0 ? 'test' : bucket === 1 ? 'val' : 'train';
}

fs.mkdirSync(path.join(outDir, 'emoji'), { recursive: true });
const trainCaptions = [];

// Emoji.
const emoji = JSON.parse(fs.readFileSync(path.join(emojiDir, 'emoji.json'), 'utf8'));
const emojiLines = [];
for (const e of emoji) {
  if (!e.has_img_twitter || !e.name) continue;
  const source = path.join(emojiDir, 'img', 'twitter', '64', e.image);
  if (!fs.existsSync(source)) throw new Error(`${source}: listed in emoji.json but missing`);
  fs.copyFileSync(source, path.join(outDir, 'emoji', e.image));
  const text = e.name.toLowerCase().replace(/\s+/g, ' ').trim();
  const split = splitOf(e.unified);
  emojiLines.push(JSON.stringify({ image: `emoji/${e.image}`, text, category: e.category, source: 'emoji', split }));
  if (split === 'train') trainCaptions.push(text);
}
fs.writeFileSync(path.join(outDir, 'emoji.jsonl'), emojiLines.join('\n') + '\n');

// Fashion-MNIST.
function readIdx(file, magic) {
  const bytes = fs.readFileSync(file);
  if (bytes.readUInt32BE(0) !== magic) throw new Error(`${file}: not an IDX file of the expected kind`);
  return bytes;
}
const CLASSES = ['t-shirt', 'pair of trousers', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'];
function measure(images, i) {
  let sum = 0, count = 0, left = 28, right = -1;
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const v = images[16 + i * 784 + y * 28 + x];
      if (v < 26) continue;  // background
      sum += v;
      count++;
      left = Math.min(left, x);
      right = Math.max(right, x);
    }
  return { tone: count ? sum / count : 0, width: right - left + 1 };
}
const parts = [
  { file: 'train', split: 'train', from: 0, to: 12000 },
  { file: 'train', split: 'val', from: 59000, to: 60000 },
  { file: 't10k', split: 'test', from: 0, to: 2000 },
];
const items = [];
for (const part of parts) {
  const images = readIdx(path.join(fashionDir, `${part.file}-images-idx3-ubyte`), 0x803);
  const labels = readIdx(path.join(fashionDir, `${part.file}-labels-idx1-ubyte`), 0x801);
  for (let i = part.from; i < part.to; i++)
    items.push({ ...part, index: i, label: labels[8 + i], ...measure(images, i) });
}
// Attribute thresholds from the training items: tone tertiles overall, width median per class.
const train = items.filter((it) => it.split === 'train');
const tones = train.map((it) => it.tone).sort((a, b) => a - b);
const toneCuts = [tones[Math.floor(tones.length / 3)], tones[Math.floor((2 * tones.length) / 3)]];
const medianWidth = CLASSES.map((_, c) => {
  const w = train.filter((it) => it.label === c).map((it) => it.width).sort((a, b) => a - b);
  return w[Math.floor(w.length / 2)];
});
const fashionLines = items.map((it) => {
  const tone = it.tone < toneCuts[0] ? 'dark' : it.tone < toneCuts[1] ? 'grey' : 'light';
  const width = it.width > medianWidth[it.label] ? 'wide' : 'narrow';
  const text = `a photo of a ${tone} ${width} ${CLASSES[it.label]}`;
  if (it.split === 'train') trainCaptions.push(text);
  return JSON.stringify({
    image: `../fashion_mnist/${it.file}-images-idx3-ubyte`, index: it.index, text, label: CLASSES[it.label],
    source: 'fashion', split: it.split,
  });
});
fs.writeFileSync(path.join(outDir, 'fashion.jsonl'), fashionLines.join('\n') + '\n');
fs.writeFileSync(path.join(outDir, 'captions_train.txt'), trainCaptions.join('\n') + '\n');
const count = (lines, split) => lines.filter((l) => JSON.parse(l).split === split).length;
console.log(`image_text_manifests: emoji ${count(emojiLines, 'train')}/${count(emojiLines, 'val')}/${count(emojiLines, 'test')}, ` +
  `fashion ${count(fashionLines, 'train')}/${count(fashionLines, 'val')}/${count(fashionLines, 'test')} (train/val/test)`);
