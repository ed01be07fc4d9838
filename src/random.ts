/**
 * PyTorch's CPU random generator, bit for bit: the mt19937 engine of ATen's CPUGeneratorImpl and the
 * distributions its CPU kernels draw from it (uniform_, normal_, random_(from, to), randperm, bernoulli_),
 * as PyTorch 1.13 computes them on an x86-64 CPU with AVX2 and FMA.
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

// Scratch views for reading and nudging the bits of a double (little-endian: word 0 is the low half).
const scratchFloat = new Float64Array(1);
const scratchWords = new Uint32Array(scratchFloat.buffer);

/** a + b rounded to odd: exact sums stay, inexact ones land on the neighbour whose last mantissa bit is 1. */
function addRoundToOdd(a: number, b: number): number {
  const sum = a + b;
  const bVirtual = sum - a;
  const error = a - (sum - bVirtual) + (b - bVirtual);
  if (error === 0 || !Number.isFinite(sum)) return sum;
  scratchFloat[0] = sum;
  if (scratchWords[0]! & 1) return sum;
  const awayFromZero = (error > 0) === (sum > 0);
  if (awayFromZero) {
    scratchWords[0] = scratchWords[0]! | 1;
  } else if (scratchWords[0] === 0) {
    scratchWords[0] = 0xffffffff;
    scratchWords[1] = scratchWords[1]! - 1;
  } else {
    scratchWords[0] = scratchWords[0]! - 1;
  }
  return scratchFloat[0]!;
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
  const sum = c + product;
  const bVirtual = sum - c;
  const sumError = c - (sum - bVirtual) + (product - bVirtual);
  return sum + addRoundToOdd(sumError, productError);
}

/** a * b + c on float32 values with a single rounding, as the vfmadd..ps instructions compute it. */
export function fmaf(a: number, b: number, c: number): number {
  // The float product is exact in a double; rounding its sum with c to odd at 53 bits, then to 24, is exact.
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

/** The 53-bit random double in [0, 1) that uniform_real_distribution<double> makes of one random64(). */
type DoubleSource = () => number;

/** A torch.Generator for the CPU: PyTorch's mt19937 stream and the distributions drawn from it. */
export class Generator {
  private readonly engine = new MersenneTwister();
  private initialSeed = DEFAULT_SEED;
  private nextDoubleNormal: number | undefined;
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

  /** Reseeds from a nondeterministic 53-bit source and returns the seed (torch.Generator.seed). */
  seed(): bigint {
    const words = crypto.getRandomValues(new Uint32Array(2));
    const seed = ((BigInt(words[0]!) << 32n) | BigInt(words[1]!)) & ((1n << 53n) - 1n);
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
    view.setBigUint64(0, this.initialSeed, true);
    view.setInt32(8, this.engine.left, true);
    view.setInt32(12, 1, true);
    view.setBigUint64(16, BigInt(this.engine.next), true);
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
    const left = view.getInt32(8, true);
    const seeded = view.getInt32(12, true) !== 0;
    const next = view.getBigUint64(16, true);
    if (!seeded || left <= 0 || left > STATE_SIZE || next > BigInt(STATE_SIZE)) {
      throw new RuntimeError('Invalid mt19937 state');
    }
    this.initialSeed = view.getBigUint64(0, true);
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
      this.nextDoubleNormal = view.getFloat64(NORMAL_RHO_OFFSET, true) * libmSin(view.getFloat64(NORMAL_Y_OFFSET, true));
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

  private readonly uniformDouble: DoubleSource = () => {
    const high = this.engine.nextUint32() & 0x1fffff;
    return (high * TWO_POW_32 + this.engine.nextUint32()) * TWO_POW_MINUS_53;
  };

  private uniformFloat(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_MINUS_24;
  }

  /** Fills as torch.randn(n) / normal_(mean, std) does for a tensor of n elements (contiguous unless told). */
  normal(n: number, dtype: 'float32' | 'float64', mean = 0, std = 1, contiguous = true): Float32Array | Float64Array {
    if (!(std >= 0)) throw new RuntimeError(`normal expects std >= 0.0, but found std ${formatNumber(std)}`);
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
    const radius = Math.sqrt(-2 * libmLog(1 - u2));
    const theta = 2 * Math.PI * u1;
    this.nextDoubleNormal = radius * libmSin(theta);
    return fma(radius * libmCos(theta), std, mean);
  }

  /** normal_fill<double>: all uniforms first, Box–Muller over blocks of 16, the tail block redrawn. */
  private normalFillDouble(n: number, mean: number, std: number): Float64Array {
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = this.uniformDouble();
    const transformBlock = (start: number): void => {
      for (let j = start; j < start + 8; j++) {
        const radius = Math.sqrt(-2 * libmLog(1 - data[j]!));
        const theta = 2 * Math.PI * data[j + 8]!;
        data[j] = fma(radius * libmCos(theta), std, mean);
        data[j + 8] = fma(radius * libmSin(theta), std, mean);
      }
    };
    for (let start = 0; start + 16 <= n; start += 16) transformBlock(start);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = this.uniformDouble();
      transformBlock(n - 16);
    }
    return data;
  }

  /** normal_fill_AVX2: as normal_fill, with ATen's float32 vector log and sincos. */
  private normalFillFloat(n: number, mean: number, std: number): Float32Array {
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = this.uniformFloat();
    const sinCos = this.sinCos;
    const transformBlock = (start: number): void => {
      for (let j = start; j < start + 8; j++) {
        const radius = f32(Math.sqrt(f32(-2 * avxLogf(f32(1 - data[j]!)))));
        avxSinCosf(f32(TWO_PI_F * data[j + 8]!), sinCos);
        data[j] = fmaf(f32(radius * sinCos[1]!), std, mean);
        data[j + 8] = fmaf(f32(radius * sinCos[0]!), std, mean);
      }
    };
    for (let start = 0; start + 16 <= n; start += 16) transformBlock(start);
    if (n % 16 !== 0) {
      for (let i = n - 16; i < n; i++) data[i] = this.uniformFloat();
      transformBlock(n - 16);
    }
    return data;
  }

  /** As torch.rand(n) / uniform_(from, to): 24 random bits per float32, 53 per float64. */
  uniform(n: number, dtype: 'float32' | 'float64', from = 0, to = 1): Float32Array | Float64Array {
    if (!(from <= to)) {
      throw new RuntimeError(
        `uniform_ expects to return a [from, to) range, but found from=${formatNumber(from)} > to=${formatNumber(to)}`,
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

  /** As bernoulli_(p) on a float32 tensor (and dropout's mask): 1 where a 53-bit uniform falls below p. */
  bernoulli(n: number, p: number): Float32Array {
    if (!(p >= 0 && p <= 1)) {
      throw new RuntimeError(`bernoulli_ expects p to be in [0, 1], but got p=${formatNumber(p)}`);
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniformDouble() < p ? 1 : 0;
    return out;
  }
}

/** Prints a number as PyTorch's error messages print a double. */
function formatNumber(value: number): string {
  return String(value);
}

const libmLog = Math.log;
const libmSin = Math.sin;
const libmCos = Math.cos;

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
