#!/usr/bin/env node
// Builds the speech collections' corpus offline: sentences spoken by espeak-ng (through Reef's
// reef-speak, one process per core) as 16 kHz mono 16-bit WAV, described by NeMo-style JSON-lines
// manifests
// {"audio_filepath", "duration", "text", "speaker", "kind"} (audio_filepath relative to the
// manifest's folder).
//
// Sentences, lower-case letters, apostrophes and spaces only (what the character vocabulary
// spells), of five kinds: digit strings, dates, clock times, names (from a fixed pool of
// wamerican's given names) and clauses of the King James Bible whose words are all among the
// corpus's 1,200 most frequent (so that a model can learn to spell them in the time it has).
// No test or validation text is a training text.
//
// ASR (asr/): a voice is an espeak-ng accent with a voice variant, at a random speed and pitch.
// The variants are split three ways, so that the validation and test voices are never heard in
// training (and are not each other's): train.jsonl, val.jsonl (unseen variants), test.jsonl
// (other unseen variants) and test_seen.jsonl (training voices, unseen texts).
// TTS (tts/): one voice at a fixed speed and pitch, train/val/test by text.
//
// General English (asr/general_*.jsonl), for an open-vocabulary recognizer: the templates above
// plus sentences of the fortunes, clauses of the whole KJV, and generated sentences that put
// random wamerican words into short frames. A fortune sentence or KJV clause is held out by the
// hash of its text (one in ten), so general_test and general_val say sentences that no training
// utterance and no line of the language-model text (asr/lm_text.txt) contains; their voices are
// the unseen variants as above. general_train.jsonl also lists every utterance of train.jsonl.
// asr/lexicon.txt: wamerican's words plus the corpus', the recognizer's vocabulary.
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');
const { spawn } = require('child_process');

const [kjvPath, wordsPath, outDir, reefSpeak, fortunesPath] = process.argv.slice(2);
const scale = Number(process.env.REEF_SPEECH_SCALE || 1);  // fewer utterances for quick trials
if (!kjvPath || !wordsPath || !outDir || !reefSpeak || !fortunesPath) {
  console.error('usage: speech_corpus.js <kjv.txt> <wamerican words> <output folder> <reef-speak program> '
    + '<fortunes.jsonl>');
  process.exit(2);
}

// A seeded generator: the corpus is the same on every machine.
let state = 0x9e3779b9;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];
const between = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));

const ones = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven',
  'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const tens = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const number = (n) => n < 20 ? ones[n] : tens[Math.floor(n / 10)] + (n % 10 ? ' ' + ones[n % 10] : '');
const ordinals = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth',
  'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth',
  'nineteenth', 'twentieth'];
const ordinal = (n) => n <= 20 ? ordinals[n - 1] : n === 30 ? 'thirtieth'
  : tens[Math.floor(n / 10)] + ' ' + ordinals[n % 10 - 1];
const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october',
  'november', 'december'];
const weekdays = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const year = () => {
  const y = between(1950, 2030);
  return y < 2000 ? 'nineteen ' + number(y - 1900) : y < 2010 ? 'two thousand' + (y > 2000 ? ' and ' + number(y - 2000) : '')
    : 'twenty ' + number(y - 2000);
};

// Names: a fixed draw of wamerican's capitalised words of 3-7 letters that are not in the KJV
// (which would make them biblical people and places).
const kjv = fs.readFileSync(kjvPath, 'utf8');
const kjvWords = new Set(kjv.toLowerCase().match(/[a-z]+/g));
const names = fs.readFileSync(wordsPath, 'utf8').split('\n')
  .filter((w) => /^[A-Z][a-z]{2,6}$/.test(w) && !kjvWords.has(w.toLowerCase()));
const namePool = [];
for (let i = 0; i < 400 && names.length; ++i) namePool.push(names.splice(Math.floor(random() * names.length), 1)[0].toLowerCase());

// Bible clauses over the most frequent words.
const counts = new Map();
for (const w of kjv.toLowerCase().match(/[a-z']+/g)) counts.set(w, (counts.get(w) || 0) + 1);
const common = new Set([...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 1200).map((e) => e[0]));
const clauses = [...new Set(kjv.split(/[\n,;:.?!()]+/).map((c) => c.toLowerCase().replace(/[^a-z' ]/g, ' ')
  .replace(/\s+/g, ' ').trim()).filter((c) => {
  const words = c.split(' ');
  return words.length >= 3 && words.length <= 10 && words.every((w) => common.has(w));
}))];

const generators = {
  digits: () => {
    const digits = Array.from({ length: between(3, 8) }, () => ones[between(0, 9)]).join(' ');
    return pick(['', '', 'my number is ', 'the code is ', 'call ', 'dial ', 'the pin is ']) + digits;
  },
  date: () => pick([
    () => `${pick(weekdays)} the ${ordinal(between(1, 28))} of ${pick(months)}`,
    () => `${pick(months)} ${ordinal(between(1, 30))} ${year()}`,
    () => `the meeting is on ${pick(months)} ${ordinal(between(1, 30))}`,
    () => `born on the ${ordinal(between(1, 28))} of ${pick(months)} ${year()}`,
  ])(),
  time: () => pick([
    () => `at ${number(between(1, 12))} ${pick(['o\'clock', 'thirty', 'fifteen', 'forty five', number(between(10, 59))])}`,
    () => `the train leaves at ${number(between(1, 12))} ${number(between(10, 59))}`,
    () => `${pick(['half past', 'quarter past', 'quarter to'])} ${number(between(1, 12))} on ${pick(weekdays)}`,
  ])(),
  names: () => pick([
    () => `please call ${pick(namePool)} ${pick(namePool)}`,
    () => `${pick(namePool)} will arrive on ${pick(weekdays)}`,
    () => `send the letter to ${pick(namePool)}`,
    () => `${pick(namePool)} and ${pick(namePool)} are here`,
  ])(),
  bible: () => pick(clauses),
};
const kindWeights = [['digits', 2], ['date', 2], ['time', 1], ['names', 2], ['bible', 3]];
function sentence() {
  let r = random() * kindWeights.reduce((s, k) => s + k[1], 0);
  for (const [kind, w] of kindWeights) if ((r -= w) < 0) return { kind, text: generators[kind]() };
  return { kind: 'bible', text: generators.bible() };
}
// Distinct texts per split: a text belongs to the first split that drew it.
const taken = new Set();
function freshSentence() {
  for (;;) {
    const s = sentence();
    if (!taken.has(s.text)) { taken.add(s.text); return s; }
  }
}

// Voices: human-sounding variants (the whispering, robotic and joke ones are left out). espeak-ng
// names its British English voice 'en': 'en-gb+<variant>' is not a voice, and its command line
// quietly spoke such sentences in the plain British voice without the variant.
const accents = ['en-us', 'en', 'en-gb-scotland', 'en-gb-x-rp', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd', 'en-029', 'en-us-nyc'];
const variants = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'f1', 'f2', 'f3', 'f4', 'f5', 'adam', 'Alex', 'Alicia',
  'Andrea', 'Andy', 'Annie', 'antonio', 'aunty', 'belinda', 'benjamin', 'boris', 'caleb', 'david', 'Denis', 'Diogo',
  'ed', 'edward', 'Gene', 'gustave', 'Henrique', 'Hugo', 'Jacky', 'john', 'Lee', 'linda', 'Marco', 'max', 'Michael',
  'Mike', 'paul', 'pedro', 'quincy', 'rob', 'robert', 'steph', 'Storm', 'zac', 'anika', 'grandma', 'grandpa',
  'norbert', 'sandro', 'shelby', 'travis', 'victor', 'klatt', 'klatt2', 'klatt3', 'croak'];
const valVariants = new Set(['f4', 'm6', 'Alicia', 'boris', 'Lee', 'travis']);
const testVariants = new Set(['f2', 'm4', 'Andy', 'belinda', 'edward', 'Marco', 'norbert', 'klatt2']);
const trainVariants = variants.filter((v) => !valVariants.has(v) && !testVariants.has(v));
const voice = (pool) => ({ speaker: `${pick(accents)}+${pick(pool)}`, speed: between(130, 200), pitch: between(25, 75) });

const utterances = [];
function plan(dir, split, count, voiceOf) {
  for (let i = 0; i < Math.round(count * scale); ++i) {
    const s = freshSentence();
    utterances.push({ dir, split, file: `${split}/${String(i).padStart(5, '0')}.wav`, ...s, ...voiceOf() });
  }
}
// Test and validation texts are drawn first, so that training never takes them.
plan('asr', 'test', 800, () => voice([...testVariants]));
plan('asr', 'val', 400, () => voice([...valVariants]));
plan('asr', 'test_seen', 400, () => voice(trainVariants));
plan('asr', 'train', 14000, () => voice(trainVariants));
const ttsVoice = () => ({ speaker: 'en-us+m3', speed: 150, pitch: 50 });
plan('tts', 'test', 100, ttsVoice);
plan('tts', 'val', 100, ttsVoice);
plan('tts', 'train', 2400, ttsVoice);

// General English. Text is what the character vocabulary spells: lower-case letters, apostrophes
// inside words, single spaces; a sentence with digits or symbols is left out rather than guessed at.
function spelled(raw) {
  if (/[0-9@#$%&*=+<>\/\\|_~^{}\[\]]/.test(raw)) return '';
  return raw.toLowerCase().replace(/[^a-z' ]/g, ' ').split(/\s+/).map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w).join(' ');
}
function fnv1a(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; ++i) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
const heldOutText = (text) => fnv1a(text) % 10 === 0;
const withWords = (lo, hi) => (t) => { const n = t.split(' ').length; return n >= lo && n <= hi; };
const fortuneSentences = [...new Set(fs.readFileSync(fortunesPath, 'utf8').split('\n').filter((l) => l)
  .flatMap((l) => JSON.parse(l).text.split('\n').filter((line) => !/^\s*--/.test(line)).join(' ')
    .split(/(?<=[.!?])\s+|\s--\s/))
  .map(spelled).filter(withWords(4, 14)))];
const kjvClauses = [...new Set(kjv.split(/[\n,;:.?!()]+/).map(spelled).filter(withWords(4, 12)))];
const dictionary = fs.readFileSync(wordsPath, 'utf8').split('\n').filter((w) => /^[a-z]{3,12}$/.test(w));
const frames = ['please spell the word X', 'the X is next to the Y', 'she bought a X and a Y', 'we talked about X all day',
  'is X a real word', 'he wrote X on the board', 'they found the X near the Y', 'my favorite word is X',
  'do not forget the X', 'the X and the Y were gone', 'i think X is spelled right', 'look up X in the dictionary',
  'X comes before Y', 'can you say X again', 'the last word was X'];
const generatedSentence = () => pick(frames).replace('X', pick(dictionary)).replace('Y', pick(dictionary));
const generalSources = [['fortune', fortuneSentences], ['kjv', kjvClauses]].map(([kind, all]) => ({
  kind, train: all.filter((t) => !heldOutText(t)), heldOut: all.filter(heldOutText) }));

// A distinct text of a kind for a split: held-out fortunes and clauses only for val and test.
function generalSentence(kind, split) {
  for (;;) {
    let text;
    if (kind === 'templates') text = sentence().text;
    else if (kind === 'generated') text = generatedSentence();
    else text = pick(generalSources.find((g) => g.kind === kind)[split === 'general_train' ? 'train' : 'heldOut']);
    if (!taken.has(text)) {
      taken.add(text);
      return { kind, text };
    }
  }
}
function planGeneral() {
  const counts = { general_test: 200, general_val: 100, general_train: { fortune: 9000, kjv: 7000, generated: 6000 } };
  const voices = { general_test: [...testVariants], general_val: [...valVariants], general_train: trainVariants };
  for (const split of ['general_test', 'general_val', 'general_train']) {
    const kinds = split === 'general_train' ? ['fortune', 'kjv', 'generated'] : ['templates', 'fortune', 'kjv', 'generated'];
    let i = 0;
    for (const kind of kinds) {
      const n = Math.round((split === 'general_train' ? counts[split][kind] : counts[split]) * scale);
      for (let k = 0; k < n; ++k, ++i) {
        const s = generalSentence(kind, split);
        utterances.push({ dir: 'asr', split, file: `${split}/${String(i).padStart(5, '0')}.wav`, ...s,
          ...voice(voices[split]) });
      }
    }
  }
}
planGeneral();

// WAV duration from its RIFF chunks (sox writes a plain 44-byte header, but this does not rely on it).
function duration(file) {
  const b = fs.readFileSync(file);
  let rate = 0, blockAlign = 0;
  for (let p = 12; p + 8 <= b.length;) {
    const id = b.toString('ascii', p, p + 4), size = b.readUInt32LE(p + 4);
    if (id === 'fmt ') { rate = b.readUInt32LE(p + 12); blockAlign = b.readUInt16LE(p + 20); }
    if (id === 'data') return Math.min(size, b.length - p - 8) / blockAlign / rate;
    p += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

// Speaks a share of the utterances in one reef-speak process.
function speakAll(share) {
  return new Promise((resolve, reject) => {
    const child = spawn(reefSpeak, [], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve() : reject(new Error(`reef-speak failed: ${err}`)));
    child.stdin.end(share.map((u) => JSON.stringify({ text: u.text, voice: u.speaker, speed: u.speed, pitch: u.pitch,
      out: path.join(outDir, u.dir, u.file) }) + '\n').join(''));
  });
}

async function main() {
  for (const u of utterances) fs.mkdirSync(path.join(outDir, u.dir, path.dirname(u.file)), { recursive: true });
  const workers = Math.max(1, os.cpus().length);
  await Promise.all(Array.from({ length: workers }, (_, w) => speakAll(utterances.filter((u, i) => i % workers === w))));
  const manifests = new Map();
  for (const u of utterances) {
    const key = path.join(outDir, u.dir, `${u.split}.jsonl`);
    if (!manifests.has(key)) manifests.set(key, []);
    manifests.get(key).push(JSON.stringify({ audio_filepath: u.file, duration: Number(duration(path.join(outDir, u.dir, u.file)).toFixed(4)),
      text: u.text, speaker: u.speaker, kind: u.kind }));
  }
  const asrManifest = (split) => path.join(outDir, 'asr', `${split}.jsonl`);
  manifests.get(asrManifest('general_train')).unshift(...manifests.get(asrManifest('train')));
  for (const [file, lines] of manifests) fs.writeFileSync(file, lines.join('\n') + '\n');
  // The text the sub-word tokenizer learns from: training sentences only.
  fs.writeFileSync(path.join(outDir, 'asr', 'train_text.txt'),
    utterances.filter((u) => u.dir === 'asr' && u.split === 'train').map((u) => u.text).join('\n') + '\n');
  writeLanguageModelText();
  console.log(`speech_corpus: ${utterances.length} utterances, ${clauses.length} bible clauses, ${namePool.length} names, `
    + `${fortuneSentences.length} fortune sentences, ${kjvClauses.length} KJV clauses`);
}

// The general recognizer's word language model counts every training fortune sentence and KJV
// clause (spoken or not) and every training transcript; no text of a validation or test split.
function writeLanguageModelText() {
  const asr = utterances.filter((u) => u.dir === 'asr');
  const heldOut = new Set(asr.filter((u) => !/train$/.test(u.split)).map((u) => u.text));
  const text = new Set([...generalSources.flatMap((g) => g.train),
    ...asr.filter((u) => /train$/.test(u.split)).map((u) => u.text)]);
  fs.writeFileSync(path.join(outDir, 'asr', 'lm_text.txt'), [...text].filter((t) => !heldOut.has(t)).join('\n') + '\n');
  const lexicon = new Set(fs.readFileSync(wordsPath, 'utf8').split('\n').map(spelled).filter((w) => w && !w.includes(' ')));
  fs.writeFileSync(path.join(outDir, 'asr', 'lexicon.txt'), [...lexicon].join('\n') + '\n');
}
main().catch((e) => { console.error(e.message); process.exit(1); });
