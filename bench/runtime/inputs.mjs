/**
 * The runtime workloads' inputs and settings, generated deterministically by the harness and written to a
 * directory that every system reads, so that all of them compute from the same numbers.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Settings of the workloads, read by every system from the manifest. */
export const settings = {
  scalar: { x: 5, y: 0, w: 1, b: 3, iterations: 10_000 },
  matmulSizes: [256, 1024],
  mlp: { batch: 64, sizes: [784, 128, 10], lr: 0.1, checkSteps: 10 },
  linreg: { points: 10_000, epochs: 100, lr: 0.1, slope: 3, intercept: 2, noise: 0.1 },
};

/** Mulberry32: a small seeded generator of uniform floats in [0, 1). */
function uniformSource(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller over a uniform source. */
function normalSource(uniform) {
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

function filled(length, draw) {
  const values = new Float32Array(length);
  for (let i = 0; i < length; i++) values[i] = draw();
  return values;
}

/** The tensors of every workload, as {name: {shape, dtype, data}}. */
function generateTensors() {
  const uniform = uniformSource(20_240_601);
  const normal = normalSource(uniform);
  const tensors = {};
  const add = (name, shape, data, dtype = "float32") => (tensors[name] = { shape, dtype, data });
  for (const n of settings.matmulSizes) {
    add(`matmul${n}_a`, [n, n], filled(n * n, normal));
    add(`matmul${n}_b`, [n, n], filled(n * n, normal));
  }
  const { batch, sizes } = settings.mlp;
  add("mlp_x", [batch, sizes[0]], filled(batch * sizes[0], uniform));
  add("mlp_labels", [batch], Int32Array.from({ length: batch }, () => Math.floor(uniform() * sizes[2])), "int32");
  for (let layer = 0; layer < 2; layer++) {
    // nn.Linear's default initialisation: U(-1/sqrt(in), 1/sqrt(in)) for weight [out, in] and bias [out].
    const [fanIn, fanOut] = [sizes[layer], sizes[layer + 1]];
    const bound = 1 / Math.sqrt(fanIn);
    const draw = () => (2 * uniform() - 1) * bound;
    add(`mlp_w${layer + 1}`, [fanOut, fanIn], filled(fanOut * fanIn, draw));
    add(`mlp_b${layer + 1}`, [fanOut], filled(fanOut, draw));
  }
  const { points, slope, intercept, noise } = settings.linreg;
  const x = filled(points, normal);
  add("linreg_x", [points, 1], x);
  add("linreg_y", [points, 1], x.map((value) => slope * value + intercept + noise * normal()));
  add("linreg_w", [1, 1], Float32Array.of(2 * uniform() - 1));
  add("linreg_b", [1], Float32Array.of(2 * uniform() - 1));
  return tensors;
}

/** Writes the manifest (inputs.json: settings, workloads, tensors) and one little-endian binary file per tensor. */
export function writeInputs(dir, workloads) {
  mkdirSync(dir, { recursive: true });
  const manifest = { settings, workloads, tensors: {} };
  for (const [name, { shape, dtype, data }] of Object.entries(generateTensors())) {
    const file = `${name}.bin`;
    writeFileSync(path.join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    manifest.tensors[name] = { shape, dtype, file };
  }
  writeFileSync(path.join(dir, "inputs.json"), JSON.stringify(manifest, null, 2));
}

/** Replaces the workloads (and so the repetition plans) the manifest lists, keeping its tensors. */
export function setWorkloads(dir, workloads) {
  const file = path.join(dir, "inputs.json");
  const manifest = JSON.parse(readFileSync(file, "utf8"));
  writeFileSync(file, JSON.stringify({ ...manifest, workloads }, null, 2));
}

/** Reads what writeInputs wrote: {settings, workloads, tensors: {name: {shape, dtype, data}}}. */
export function readInputs(dir) {
  const manifest = JSON.parse(readFileSync(path.join(dir, "inputs.json"), "utf8"));
  const tensors = {};
  for (const [name, { shape, dtype, file }] of Object.entries(manifest.tensors)) {
    const bytes = readFileSync(path.join(dir, file));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    tensors[name] = { shape, dtype, data: dtype === "int32" ? new Int32Array(buffer) : new Float32Array(buffer) };
  }
  return { settings: manifest.settings, workloads: manifest.workloads, tensors };
}
