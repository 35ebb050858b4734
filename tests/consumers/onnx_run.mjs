// Runs an ONNX model with onnxruntime (npm `onnxruntime-node`) on a float32 input read from a raw
// file, and prints the session's input/output names and every output as JSON.
// Usage: node onnx_run.mjs NODE_MODULES MODEL.onnx INPUT.f32 DIMS_JSON
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modules, modelPath, inputPath, dimsJson] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const ort = require("onnxruntime-node");

const session = await ort.InferenceSession.create(modelPath, { executionProviders: ["cpu"] });
const bytes = fs.readFileSync(inputPath);
const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, JSON.parse(dimsJson)) };
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) outputs[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
console.log(JSON.stringify({ inputs: session.inputNames, outputs }));
