// Runs an ONNX model with onnxruntime (npm `onnxruntime-node`) on an input read from a raw file
// (float32, or int64 token ids), and prints the session's input/output names and every output as
// JSON.
// Usage: node onnx_run.mjs NODE_MODULES MODEL.onnx INPUT.raw DIMS_JSON [float32|int64]
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modules, modelPath, inputPath, dimsJson, type = "float32"] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const ort = require("onnxruntime-node");

const session = await ort.InferenceSession.create(modelPath, { executionProviders: ["cpu"] });
const bytes = fs.readFileSync(inputPath);
const data = type === "int64" ? new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8)
                              : new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const feeds = { [session.inputNames[0]]: new ort.Tensor(type, data, JSON.parse(dimsJson)) };
const results = await session.run(feeds);
const outputs = {};
for (const name of session.outputNames) outputs[name] = { dims: results[name].dims, data: Array.from(results[name].data) };
console.log(JSON.stringify({ inputs: session.inputNames, outputs }));
