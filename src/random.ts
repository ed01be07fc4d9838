/**
 * PyTorch's CPU random generator, bit for bit: the mt19937 engine of ATen's CPUGeneratorImpl and the
 * distributions its CPU kernels draw from it (uniform_, normal_, random_(from, to), randperm, bernoulli_,
 * exponential_, multinomial), as PyTorch 1.13 computes them on an x86-64 CPU with AVX2 and FMA.
 *
 * The fills return values in the order PyTorch's kernels write them: for a contiguous tensor, memory order.
 * normal_ on a non-contiguous tensor takes the scalar path whatever its size (pass contiguous = false), and
 * TensorIterator visits such a tensor in the order of its strides, largest-stride dimension outermost.
 *
 * float64 normals and exponentials use Math.log, Math.sin and Math.cos, and V8's libm rounds the last bit
 * of a few percent of results differently from glibc's, which PyTorch calls; those values can differ from
 * PyTorch's in the last ulp or two. Everything else, float32 included (its path has its own log and sincos),
 * matches bit for bit.
 */
import { RuntimeError } from './errors.js';

const STATE_SIZE = 624;
const SHIFT_SIZE = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** Seed of a freshly constructed torch.Generator (ATen's default_rng_seed_val). */
const DEFAULT_SEED = 67280421310721n;
const UINT64_MASK = (1n << 64n) - 1n;

// Byte offsets of CPUGeneratorImplState, the struct torch.get_rng_state() copies out.
const SEED_OFFSET = 0;
const LEFT_OFFSET = 8;
const SEEDED_OFFSET = 12;
const NEXT_OFFSET = 16;
const WORDS_OFFSET = 24;
const NORMAL_Y_OFFSET = WORDS_OFFSET + 8 * STATE_SIZE + 8;
const NORMAL_RHO_OFFSET = NORMAL_Y_OFFSET + 8;
const NORMAL_VALID_OFFSET = NORMAL_RHO_OFFSET + 8;
const LEGACY_STATE_BYTES = NORMAL_VALID_OFFSET + 8;
const FLOAT_NORMAL_OFFSET = LEGACY_STATE_BYTES;
const FLOAT_NORMAL_VALID_OFFSET = FLOAT_NORMAL_OFFSET + 4;
const STATE_BYTES = LEGACY_STATE_BYTES + 8;

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_24 = 2 ** -24;
const TWO_POW_MINUS_53 = 2 ** -53;

/** The mt19937 engine as ATen keeps it: the state words, the read position and the words left before a twist. */
class MersenneTwister {
  readonly state = new Int32Array(STATE_SIZE);
  left = 1;
  next = 0;

  /** Seeds as ATen's mt19937_engine::init_with_uint32: only the low 32 bits of the seed count. */
  seed(low32: number): void {
    const state = this.state;
    state[0] = low32;
    for (let j = 1; j < STATE_SIZE; j++) {
      const previous = state[j - 1]!;
      state[j] = Math.imul(1812433253, previous ^ (previous >>> 30)) + j;
    }
    this.left = 1;
    this.next = 0;
  }

  /** The next 32 random bits, as an unsigned number. */
  nextUint32(): number {
    if (--this.left === 0) this.twist();
    let y = this.state[this.next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const state = this.state;
    for (let j = 0; j < STATE_SIZE; j++) {
      const following = state[j + 1 === STATE_SIZE ? 0 : j + 1]!;
      const mixed = (state[j]! & UPPER_MASK) | (following & LOWER_MASK);
      const source = j + SHIFT_SIZE < STATE_SIZE ? j + SHIFT_SIZE : j + SHIFT_SIZE - STATE_SIZE;
      state[j] = state[source]! ^ (mixed >>> 1) ^ (following & 1 ? MATRIX_A : 0);
    }
    this.left = STATE_SIZE;
    this.next = 0;
  }
}

// Scratch views for reading and writing the two 32-bit halves of a double (little-endian: word 0 is the low half).
const scratchBits = new Float64Array(1);
const scratchBitWords = new Uint32Array(scratchBits.buffer);

/** The upper 32 bits of a double's encoding. */
function highWord(x: number): number {
  scratchBits[0] = x;
  return scratchBitWords[1]!;
}

/** The lower 32 bits of a double's encoding. */
function lowWord(x: number): number {
  scratchBits[0] = x;
  return scratchBitWords[0]!;
}

function fromWords(high: number, low: number): number {
  scratchBitWords[1] = high;
  scratchBitWords[0] = low;
  return scratchBits[0]!;
}

/** The exact rounding error of the last addExact. */
let roundingError = 0;

/** a + b, leaving its exact rounding error in `roundingError` (Knuth's TwoSum). */
function addExact(a: number, b: number): number {
  const sum = a + b;
  const bVirtual = sum - a;
  roundingError = a - (sum - bVirtual) + (b - bVirtual);
  return sum;
}

/** a + b rounded to odd: exact sums stay, inexact ones land on the neighbour whose last mantissa bit is 1. */
function addRoundToOdd(a: number, b: number): number {
  const sum = addExact(a, b);
  const error = roundingError;
  if (error === 0 || !Number.isFinite(sum)) return sum;
  const high = highWord(sum);
  const low = lowWord(sum);
  if (low & 1) return sum;
  if (error > 0 === sum > 0) return fromWords(high, low | 1);
  return low === 0 ? fromWords(high - 1, 0xffffffff) : fromWords(high, low - 1);
}

const SPLITTER = 134217729; // 2^27 + 1, Veltkamp's constant for splitting a double into two 26-bit halves

/** a * b + c with a single rounding, as the FMA instruction computes it on doubles (Boldo and Melquiond). */
export function fma(a: number, b: number, c: number): number {
  const product = a * b;
  if (!Number.isFinite(product) || product === 0 || c === 0) return product + c;
  const aBig = SPLITTER * a;
  const aHigh = aBig - (aBig - a);
  const aLow = a - aHigh;
  const bBig = SPLITTER * b;
  const bHigh = bBig - (bBig - b);
  const bLow = b - bHigh;
  const productError = aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow;
  const sum = addExact(c, product);
  const sumError = roundingError;
  const tail = addExact(sumError, productError);
  // An exact tail leaves one rounding; otherwise the tail must be rounded to odd to avoid a double rounding.
  return roundingError === 0 ? sum + tail : sum + addRoundToOdd(sumError, productError);
}

/** a * b + c on float32 values with a single rounding, as the vfmadd..ps instructions compute it. */
export function fmaf(a: number, b: number, c: number): number {
  // The float product is exact in a double, so only a double sum landing exactly halfway between two
  // floats can round differently from the exact one; rounding to odd at 53 bits, then to 24, is exact.
  const sum = a * b + c;
  const rounded = Math.fround(sum);
  const mirrored = 2 * sum - rounded;
  if (sum === rounded || Math.fround(mirrored) !== mirrored) return rounded;
  return Math.fround(addRoundToOdd(a * b, c));
}

const f32 = Math.fround;

// Constants of the Cephes-derived float32 log and sincos that ATen's avx_mathfun.h evaluates, 8 lanes at a time.
const SQRT_HALF_F = f32(0.707106781186547524);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f32);
const LOG_Q1 = f32(-2.1219444e-4);
const LOG_Q2 = f32(0.693359375);
const FOUR_OVER_PI_F = f32(1.27323954473516);
const MINUS_DP1 = f32(-0.78515625);
const MINUS_DP2 = f32(-2.4187564849853515625e-4);
const MINUS_DP3 = f32(-3.77489497744594108e-8);
const SIN_P0 = f32(-1.9515295891e-4);
const SIN_P1 = f32(8.3321608736e-3);
const SIN_P2 = f32(-1.6666654611e-1);
const COS_P0 = f32(2.443315711809948e-5);
const COS_P1 = f32(-1.388731625493765e-3);
const COS_P2 = f32(4.166664568298827e-2);
const TWO_PI_F = f32(2 * Math.PI);
const MIN_NORMAL_F = 2 ** -126;

const scratchSingle = new Float32Array(1);
const scratchSingleBits = new Int32Array(scratchSingle.buffer);

/**
 * log256_ps for one lane, with the multiply-adds GCC contracts into FMA instructions (ATen's AVX2 kernels
 * are built with -mfma), so the float32 roundings match the compiled kernel.
 */
function avxLogf(value: number): number {
  if (value <= 0) return NaN;
  scratchSingle[0] = Math.max(value, MIN_NORMAL_F);
  const bits = scratchSingleBits[0]!;
  let exponent = (bits >>> 23) - 0x7f + 1;
  scratchSingleBits[0] = (bits & ~0x7f800000) | 0x3f000000;
  let x = scratchSingle[0]!;
  if (x < SQRT_HALF_F) {
    exponent -= 1;
    x = f32(f32(x - 1) + x);
  } else {
    x = f32(x - 1);
  }
  const z = f32(x * x);
  let y = LOG_P[0]!;
  for (let k = 1; k < LOG_P.length; k++) y = fmaf(y, x, LOG_P[k]!);
  y = f32(y * x);
  y = fmaf(y, z, f32(exponent * LOG_Q1));
  y = fmaf(-z, 0.5, y);
  return fmaf(exponent, LOG_Q2, f32(x + y));
}

/** sincos256_ps for one lane and a non-negative angle: writes sine then cosine into `out`. */
function avxSinCosf(theta: number, out: Float32Array): void {
  const octant = (Math.trunc(f32(theta * FOUR_OVER_PI_F)) + 1) & ~1;
  let x = fmaf(octant, MINUS_DP1, theta);
  x = fmaf(octant, MINUS_DP2, x);
  x = fmaf(octant, MINUS_DP3, x);
  const sinSign = octant & 4 ? -1 : 1;
  const cosSign = (octant - 2) & 4 ? 1 : -1;
  const z = f32(x * x);
  let cosPoly = fmaf(COS_P0, z, COS_P1);
  cosPoly = fmaf(cosPoly, z, COS_P2);
  cosPoly = f32(cosPoly * z);
  cosPoly = fmaf(cosPoly, z, f32(-0.5 * z));
  cosPoly = f32(cosPoly + 1);
  let sinPoly = fmaf(SIN_P0, z, SIN_P1);
  sinPoly = fmaf(sinPoly, z, SIN_P2);
  sinPoly = f32(sinPoly * z);
  sinPoly = fmaf(sinPoly, x, x);
  const sinFirst = (octant & 2) === 0;
  out[0] = sinSign * (sinFirst ? sinPoly : cosPoly);
  out[1] = cosSign * (sinFirst ? cosPoly : sinPoly);
}

/** A torch.Generator for the CPU: PyTorch's mt19937 stream and the distributions drawn from it. */
export class Generator {
  private readonly engine = new MersenneTwister();
  private initialSeed = DEFAULT_SEED;
  private nextDoubleNormal: number | undefined;
  /** normal_distribution<float>'s cache: no CPU kernel draws from it, but states carry it, so it round-trips. */
  private nextFloatNormal: number | undefined;
  private readonly sinCos = new Float32Array(2);

  /** A generator seeded as torch.Generator() is, with 67280421310721. */
  constructor(seed: number | bigint = DEFAULT_SEED) {
    this.manual_seed(seed);
  }

  /** Seeds the generator (torch.Generator.manual_seed); negative seeds wrap as 64-bit two's complement. */
  manual_seed(seed: number | bigint): this {
    const asBigInt = typeof seed === 'bigint' ? seed : BigInt(Math.trunc(seed));
    if (asBigInt >= 1n << 64n || asBigInt < -(1n << 63n)) {
      throw new RuntimeError('Overflow when unpacking long');
    }
    this.initialSeed = asBigInt & UINT64_MASK;
    this.nextDoubleNormal = undefined;
    this.nextFloatNormal = undefined;
    this.engine.seed(Number(this.initialSeed & 0xffffffffn));
    return this;
  }

  /** Reseeds with 64 nondeterministic bits and returns the seed (torch.Generator.seed). */
  seed(): bigint {
    const words = crypto.getRandomValues(new Uint32Array(2));
    const seed = (BigInt(words[0]!) << 32n) | BigInt(words[1]!);
    this.manual_seed(seed);
    return seed;
  }

  /** The seed last given to manual_seed or seed (torch.Generator.initial_seed). */
  initial_seed(): bigint {
    return this.initialSeed;
  }

  /** The generator's state in the byte layout of torch.get_rng_state() (CPUGeneratorImplState, 5056 bytes). */
  get_state(): Uint8Array {
    const bytes = new Uint8Array(STATE_BYTES);
    const view = new DataView(bytes.buffer);
    view.setBigUint64(SEED_OFFSET, this.initialSeed, true);
    view.setInt32(LEFT_OFFSET, this.engine.left, true);
    view.setInt32(SEEDED_OFFSET, 1, true);
    view.setBigUint64(NEXT_OFFSET, BigInt(this.engine.next), true);
    for (let i = 0; i < STATE_SIZE; i++) view.setUint32(WORDS_OFFSET + 8 * i, this.engine.state[i]!, true);
    if (this.nextDoubleNormal !== undefined) {
      view.setFloat64(NORMAL_Y_OFFSET, this.nextDoubleNormal, true);
      view.setInt32(NORMAL_VALID_OFFSET, 1, true);
    }
    if (this.nextFloatNormal !== undefined) {
      view.setFloat32(FLOAT_NORMAL_OFFSET, this.nextFloatNormal, true);
      bytes[FLOAT_NORMAL_VALID_OFFSET] = 1;
    }
    return bytes;
  }

  /** Restores a state from get_state() or torch.get_rng_state(), either of the two layouts torch.set_rng_state takes. */
  set_state(state: Uint8Array): this {
    if (state.length !== STATE_BYTES && state.length !== LEGACY_STATE_BYTES) {
      throw new RuntimeError(
        `Expected either a CPUGeneratorImplStateLegacy of size ${LEGACY_STATE_BYTES} or a CPUGeneratorImplState of size ` +
          `${STATE_BYTES} but found the input RNG state size to be ${state.length}`,
      );
    }
    const view = new DataView(state.buffer, state.byteOffset, state.byteLength);
    const left = view.getInt32(LEFT_OFFSET, true);
    const seeded = view.getInt32(SEEDED_OFFSET, true) !== 0;
    const next = view.getBigUint64(NEXT_OFFSET, true);
    if (!seeded || left <= 0 || left > STATE_SIZE || next > BigInt(STATE_SIZE)) {
      throw new RuntimeError('Invalid mt19937 state');
    }
    this.initialSeed = view.getBigUint64(SEED_OFFSET, true);
    this.engine.left = left;
    this.engine.next = Number(next);
    for (let i = 0; i < STATE_SIZE; i++) this.engine.state[i] = view.getUint32(WORDS_OFFSET + 8 * i, true);
    const normalValid = view.getInt32(NORMAL_VALID_OFFSET, true) !== 0;
    this.nextFloatNormal = undefined;
    this.nextDoubleNormal = undefined;
    if (state.length === STATE_BYTES) {
      if (normalValid) this.nextDoubleNormal = view.getFloat64(NORMAL_Y_OFFSET, true);
      if (state[FLOAT_NORMAL_VALID_OFFSET]) this.nextFloatNormal = view.getFloat32(FLOAT_NORMAL_OFFSET, true);
    } else if (normalValid) {
      // The legacy layout kept Box–Muller's radius and angle; PyTorch rebuilds the cached sine from them.
      this.nextDoubleNormal = view.getFloat64(NORMAL_RHO_OFFSET, true) * Math.sin(view.getFloat64(NORMAL_Y_OFFSET, true));
    }
    return this;
  }

  /** 32 random bits (CPUGeneratorImpl::random). */
  random(): number {
    return this.engine.nextUint32();
  }

  /** The high and low halves of random64(), as a BigInt (CPUGeneratorImpl::random64). */
  random64(): bigint {
    const high = this.engine.nextUint32();
    return (BigInt(high) << 32n) | BigInt(this.engine.nextUint32());
  }

  /** uniform_real_distribution<double>(0, 1): the low 53 bits of random64(), scaled into [0, 1). */
  private uniformDouble(): number {
    const high = this.engine.nextUint32() & 0x1fffff;
    return (high * TWO_POW_32 + this.engine.nextUint32()) * TWO_POW_MINUS_53;
  }

  /** uniform_real_distribution<float>(0, 1): the low 24 bits of random(), scaled into [0, 1). */
  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** Fills as torch.randn(n) / normal_(mean, std) does for a tensor of n elements (contiguous unless told). */
  normal(n: number, dtype: 'float32' | 'float64', mean = 0, std = 1, contiguous = true): Float32Array | Float64Array {
    if (!(std >= 0)) throw new RuntimeError(`normal expects std >= 0.0, but found std ${formatDouble(std)}`);
    if (n >= 16 && contiguous) {
      return dtype === 'float32' ? this.normalFillFloat(n, f32(mean), f32(std)) : this.normalFillDouble(n, mean, std);
    }
    const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normalScalar(mean, std);
    return out;
  }

  /** at::normal_distribution<double>: Box–Muller on two 53-bit uniforms, the sine kept for the next call. */
  private normalScalar(mean: number, std: number): number {
    if (this.nextDoubleNormal !== undefined) {
      const cached = this.nextDoubleNormal;
      this.nextDoubleNormal = undefined;
      return fma(cached, std, mean);
    }
    const u1 = this.uniformDouble();
    const u2 = this.uniformDouble();
    const radius = Math.sqrt(-2 * Math.log(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = radius * Math.sin(theta);
    return fma(radius * Math.cos(theta), std, mean);
  }

  /** normal_fill<double>: Box–Muller in double. */
  private normalFillDouble(n: number, mean: number, std: number): Float64Array {
    const data = new Float64Array(n);
    return fillInBlocksOf16(data, () => this.uniformDouble(), (start) => {
      for (let j = start; j < start + 8; j++) {
        const radius = Math.sqrt(-2 * Math.log(1 - data[j]!));
        const theta = 2 * Math.PI * data[j + 8]!;
        data[j] = fma(radius * Math.cos(theta), std, mean);
        data[j + 8] = fma(radius * Math.sin(theta), std, mean);
      }
    });
  }

  /** normal_fill_AVX2: Box–Muller in float32 with ATen's vector log and sincos. */
  private normalFillFloat(n: number, mean: number, std: number): Float32Array {
    const data = new Float32Array(n);
    const sinCos = this.sinCos;
    return fillInBlocksOf16(data, () => this.uniformFloat(), (start) => {
      for (let j = start; j < start + 8; j++) {
        const radius = f32(Math.sqrt(f32(-2 * avxLogf(f32(1 - data[j]!)))));
        avxSinCosf(f32(TWO_PI_F * data[j + 8]!), sinCos);
        data[j] = fmaf(f32(radius * sinCos[1]!), std, mean);
        data[j + 8] = fmaf(f32(radius * sinCos[0]!), std, mean);
      }
    });
  }

  /** As torch.rand(n) / uniform_(from, to): 24 random bits per float32, 53 per float64. */
  uniform(n: number, dtype: 'float32' | 'float64', from = 0, to = 1): Float32Array | Float64Array {
    if (!(from <= to)) {
      throw new RuntimeError(
        `uniform_ expects to return a [from, to) range, but found from=${formatDouble(from)} > to=${formatDouble(to)}`,
      );
    }
    if (dtype === 'float64') {
      const out = new Float64Array(n);
      const range = to - from;
      for (let i = 0; i < n; i++) out[i] = fma(this.uniformDouble(), range, from);
      return out;
    }
    const out = new Float32Array(n);
    const fromF = f32(from);
    const rangeF = f32(f32(to) - fromF);
    for (let i = 0; i < n; i++) out[i] = fmaf(this.uniformFloat(), rangeF, fromF);
    return out;
  }

  /** As torch.randint(low, high, (n,)) for int64: random() % range + low, random64() once range ≥ 2^32. */
  randint(low: number, high: number, n: number): Float64Array {
    if (!(low < high)) {
      throw new RuntimeError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
    }
    const out = new Float64Array(n);
    const range = high - low;
    if (range < TWO_POW_32) {
      for (let i = 0; i < n; i++) out[i] = (this.engine.nextUint32() % range) + low;
    } else {
      const wideRange = BigInt(range);
      for (let i = 0; i < n; i++) out[i] = Number(this.random64() % wideRange) + low;
    }
    return out;
  }

  /** As torch.randperm(n) (int64): a Fisher–Yates shuffle of 0..n-1 driven by random() % (n - i). */
  randperm(n: number): Float64Array {
    if (!(n >= 0)) throw new RuntimeError(`Trying to create tensor with negative dimension ${n}: [${n}]`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = 0; i < n - 1; i++) {
      const j = i + (this.engine.nextUint32() % (n - i));
      const swapped = out[i]!;
      out[i] = out[j]!;
      out[j] = swapped;
    }
    return out;
  }

  /** As exponential_(lambd) on a tensor of n elements: -log(1 - u) / lambd from 53-bit uniforms. */
  exponential(n: number, dtype: 'float32' | 'float64', lambd = 1): Float32Array | Float64Array {
    if (!(lambd >= 0)) {
      throw new RuntimeError(`exponential_ expects lambda >= 0.0, but found lambda=${formatDouble(lambd)}`);
    }
    const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
    const scale = -1 / lambd;
    for (let i = 0; i < n; i++) out[i] = scale * Math.log(1 - this.uniformDouble());
    return out;
  }

  /**
   * As torch.multinomial(probs, numSamples, replacement) on row-major rows of `categories` weights (float32
   * or float64 as the tensor holds them): the sampled indices, row-major, as int64 values.
   */
  multinomial(
    probs: Float32Array | Float64Array,
    categories: number,
    numSamples: number,
    replacement = false,
  ): Float64Array {
    if (!(numSamples > 0)) throw new RuntimeError('cannot sample n_sample <= 0 samples');
    if (!replacement && numSamples > categories) {
      throw new RuntimeError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
    }
    const rows = categories > 0 ? probs.length / categories : 0;
    const out = new Float64Array(rows * numSamples);
    if (replacement) {
      this.sampleWithReplacement(probs, rows, categories, numSamples, out);
    } else {
      this.sampleWithoutReplacement(probs, rows, categories, numSamples, out);
    }
    return out;
  }

  /** multinomial_with_replacement: a binary search of the normalised running sums for each 53-bit uniform. */
  private sampleWithReplacement(
    probs: Float32Array | Float64Array,
    rows: number,
    categories: number,
    numSamples: number,
    out: Float64Array,
  ): void {
    const cumulative = probs instanceof Float32Array ? new Float32Array(categories) : new Float64Array(categories);
    const round = probs instanceof Float32Array ? Math.fround : (value: number): number => value;
    for (let row = 0; row < rows; row++) {
      let sum = 0;
      for (let j = 0; j < categories; j++) {
        const weight = probs[row * categories + j]!;
        if (!(weight >= 0)) throw new RuntimeError('invalid multinomial distribution (encountering probability entry < 0)');
        if (weight === Infinity) {
          throw new RuntimeError('invalid multinomial distribution (encountering probability entry = infinity or NaN)');
        }
        sum = round(sum + weight);
        cumulative[j] = sum;
      }
      if (!(sum > 0)) throw new RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)');
      for (let j = 0; j < categories; j++) cumulative[j] = cumulative[j]! / sum;
      cumulative[categories - 1] = 1;
      for (let sample = 0; sample < numSamples; sample++) {
        const target = this.uniformDouble();
        let left = 0;
        let right = categories;
        while (left < right) {
          const middle = left + ((right - left) >> 1);
          if (cumulative[middle]! < target) left = middle + 1;
          else right = middle;
        }
        out[row * numSamples + sample] = left;
      }
    }
  }

  /** multinomial without replacement: the largest p / q for q ~ Exp(1) drawn over the whole tensor (Gumbel top-k). */
  private sampleWithoutReplacement(
    probs: Float32Array | Float64Array,
    rows: number,
    categories: number,
    numSamples: number,
    out: Float64Array,
  ): void {
    if (!probs.every((weight) => weight >= 0 && weight < Infinity)) {
      throw new RuntimeError('probability tensor contains either `inf`, `nan` or element < 0');
    }
    for (let row = 0; row < rows; row++) {
      if (probs.subarray(row * categories, (row + 1) * categories).every((weight) => weight === 0)) {
        throw new RuntimeError('invalid multinomial distribution (sum of probabilities <= 0)');
      }
    }
    const dtype = probs instanceof Float32Array ? 'float32' : 'float64';
    const keys = this.exponential(probs.length, dtype, 1);
    for (let i = 0; i < keys.length; i++) keys[i] = probs[i]! / keys[i]!;
    const order = Array.from({ length: categories }, (_, j) => j);
    for (let row = 0; row < rows; row++) {
      const base = row * categories;
      order.sort((a, b) => keys[base + b]! - keys[base + a]! || a - b);
      for (let sample = 0; sample < numSamples; sample++) out[row * numSamples + sample] = order[sample]!;
    }
  }

  /**
   * As bernoulli_(p) on a tensor of n elements (and dropout's mask): 1 where a uniform falls below p. A scalar p
   * is compared with 53-bit uniforms; per-element probabilities (torch.bernoulli(probs), expanded to n
   * elements) with 24-bit uniforms when they are float32 and 53-bit ones when float64, as ATen does.
   */
  bernoulli(n: number, p: number | Float32Array | Float64Array): Float32Array {
    const out = new Float32Array(n);
    if (typeof p === 'number') {
      if (!(p >= 0 && p <= 1)) {
        throw new RuntimeError(`bernoulli_ expects p to be in [0, 1], but got p=${formatDouble(p)}`);
      }
      for (let i = 0; i < n; i++) out[i] = this.uniformDouble() < p ? 1 : 0;
      return out;
    }
    const singlePrecision = p instanceof Float32Array;
    for (let i = 0; i < n; i++) {
      const probability = p[i]!;
      if (!(probability >= 0 && probability <= 1)) {
        throw new RuntimeError(
          'Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this error message be improved?  ' +
            'If so, please report an enhancement request to PyTorch.)',
        );
      }
      out[i] = (singlePrecision ? this.uniformFloat() : this.uniformDouble()) < probability ? 1 : 0;
    }
    return out;
  }
}

/**
 * normal_fill's schedule: every element gets a uniform, blocks of 16 are transformed in place (8 pairs), and
 * a partial last block is redrawn as the last 16 elements, overlapping the block before it.
 */
function fillInBlocksOf16<T extends Float32Array | Float64Array>(
  data: T,
  draw: () => number,
  transformBlock: (start: number) => void,
): T {
  const n = data.length;
  for (let i = 0; i < n; i++) data[i] = draw();
  for (let start = 0; start + 16 <= n; start += 16) transformBlock(start);
  if (n % 16 !== 0) {
    for (let i = n - 16; i < n; i++) data[i] = draw();
    transformBlock(n - 16);
  }
  return data;
}

/** A double as C++ streams print it by default (printf's %g, six significant digits), as in PyTorch's messages. */
function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, exponentText] = value.toExponential(5).split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const digits = String(Math.abs(exponent)).padStart(2, '0');
    return `${withoutTrailingZeros(mantissa)}e${exponent < 0 ? '-' : '+'}${digits}`;
  }
  return withoutTrailingZeros(value.toFixed(5 - exponent));
}

function withoutTrailingZeros(decimal: string): string {
  return decimal.includes('.') ? decimal.replace(/\.?0+$/, '') : decimal;
}

/** A fresh generator seeded at start-up from a nondeterministic source, as PyTorch's default CPU generator is. */
function createDefaultGenerator(): Generator {
  const generator = new Generator();
  generator.seed();
  return generator;
}

/** The default CPU generator: the one torch.manual_seed seeds and every random op uses unless given another. */
export const default_generator: Generator = createDefaultGenerator();

/** Seeds the default generator (torch.manual_seed) and returns it. */
export function manual_seed(seed: number | bigint): Generator {
  return default_generator.manual_seed(seed);
}

/** The default generator's state as torch.get_rng_state() gives it (5056 bytes). */
export function get_rng_state(): Uint8Array {
  return default_generator.get_state();
}

/** Restores the default generator from get_rng_state() or torch.get_rng_state() bytes (torch.set_rng_state). */
export function set_rng_state(state: Uint8Array): void {
  default_generator.set_state(state);
}

/** Reseeds the default generator nondeterministically and returns the seed (torch.seed). */
export function seed(): bigint {
  return default_generator.seed();
}

/** The default generator's seed (torch.initial_seed). */
export function initial_seed(): bigint {
  return default_generator.initial_seed();
}
