import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { torch } from '../src/index.js';
import {
  Generator,
  default_generator,
  fma,
  fmaf,
  get_rng_state,
  initial_seed,
  manual_seed,
  seed,
  set_rng_state,
} from '../src/random.js';

type Dtype = 'float32' | 'float64';
type Call =
  | { op: 'normal' | 'normal_strided'; n: number; dtype: Dtype; mean?: number; std?: number }
  | { op: 'uniform'; n: number; dtype: Dtype; from?: number; to?: number }
  | { op: 'randint'; low: number; high: number; n: number }
  | { op: 'randperm'; n: number }
  | { op: 'bernoulli'; n: number; p: number }
  | { op: 'bernoulli_probs'; probs: number[]; dtype: Dtype }
  | { op: 'exponential'; n: number; dtype: Dtype; lambd?: number }
  | { op: 'multinomial'; probs: number[]; shape: number[]; dtype: Dtype; n: number; replacement: boolean };
type Encoded =
  | { values: number[] }
  | { sha256: string; head: number[]; numel: number }
  | { stride: number; values: number[]; numel: number };
type Drawn = Float32Array | Float64Array | BigInt64Array;

interface Fixture {
  sequences: { seed: number; calls: Call[]; outputs: Encoded[] }[];
  linear: {
    seed: number;
    in_features: number;
    out_features: number;
    weight_bound: number;
    bias_bound: number;
    weight: Encoded;
    bias: Encoded;
  }[];
  states: { seed: number; calls: Call[]; state: string; initial_seed: string; after: Encoded[]; after_legacy: Encoded }[];
  seeds: { seed: string; initial_seed: string; first: number[] }[];
  fresh_generator: { initial_seed: string; first: number[] };
  errors: Record<string, string>;
  dropout: { seed: number; p: number; n: number; output: Encoded }[];
  bigram_names: { seed: number; table: number[]; names: number[][] };
  sampling: Record<string, number[] | number[][]> & { dropout_model: { train: number[][]; weight_grad: number[][]; eval: number[][] } };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/random.json', import.meta.url), 'utf8')) as Fixture;

/** Runs one call of the sequence language of tools/fixtures/gen_random.py; integer results come back as int64. */
function draw(generator: Generator, call: Call): Drawn {
  switch (call.op) {
    case 'normal':
      return generator.normal(call.n, call.dtype, call.mean, call.std);
    case 'normal_strided':
      return generator.normal(call.n, call.dtype, call.mean, call.std, false);
    case 'uniform':
      return generator.uniform(call.n, call.dtype, call.from, call.to);
    case 'randint':
      return BigInt64Array.from(generator.randint(call.low, call.high, call.n), BigInt);
    case 'randperm':
      return BigInt64Array.from(generator.randperm(call.n), BigInt);
    case 'bernoulli':
      return generator.bernoulli(call.n, call.p);
    case 'bernoulli_probs': {
      const probs = call.dtype === 'float32' ? Float32Array.from(call.probs) : Float64Array.from(call.probs);
      return generator.bernoulli(probs.length, probs);
    }
    case 'exponential':
      return generator.exponential(call.n, call.dtype, call.lambd);
    case 'multinomial': {
      const probs = call.dtype === 'float32' ? Float32Array.from(call.probs) : Float64Array.from(call.probs);
      const drawn = generator.multinomial(probs, call.shape.at(-1)!, call.n, call.replacement);
      return BigInt64Array.from(drawn, BigInt);
    }
  }
}

// float64 normals and exponentials go through libm's log, sin and cos, which V8 may round otherwise than glibc.
const LIBM_ULPS = 4;

/** How many ulps a call's values may stray from PyTorch's: LIBM_ULPS for those computed with libm, else none. */
function allowedUlps(call: Call): number {
  const usesLibm = call.op === 'normal' || call.op === 'normal_strided' || call.op === 'exponential';
  return usesLibm && call.dtype === 'float64' ? LIBM_ULPS : 0;
}

const ulpScratch = new Float64Array(1);
const ulpScratchBits = new BigUint64Array(ulpScratch.buffer);

/** The gap between |x| and the next double away from zero. */
function ulp(x: number): number {
  ulpScratch[0] = Math.abs(x);
  ulpScratchBits[0]! += 1n;
  return ulpScratch[0]! - Math.abs(x);
}

/** Whether a drawn value is PyTorch's bit for bit (Object.is tells -0 from 0), or within `ulps` ulps of it. */
function agrees(drawn: number, expected: number, ulps: number): boolean {
  return Object.is(drawn, expected) || Math.abs(drawn - expected) <= ulps * ulp(expected);
}

/** Indices where the drawn values differ from PyTorch's: bit for bit unless `ulps` allows some rounding. */
function mismatches(drawn: Drawn, expected: Encoded, ulps = 0): string[] {
  if ('sha256' in expected) {
    const digest = createHash('sha256').update(new Uint8Array(drawn.buffer, drawn.byteOffset, drawn.byteLength)).digest('hex');
    const head = Array.from(drawn.subarray(0, expected.head.length), Number);
    const wrong = expected.head.flatMap((value, i) => (Object.is(value, head[i]) ? [] : [`head[${i}]: ${head[i]} != ${value}`]));
    if (drawn.length !== expected.numel) wrong.push(`numel ${drawn.length} != ${expected.numel}`);
    if (digest !== expected.sha256) wrong.push('sha256 differs');
    return wrong;
  }
  const stride = 'stride' in expected ? expected.stride : 1;
  const numel = 'numel' in expected ? expected.numel : expected.values.length;
  if (drawn.length !== numel) return [`length ${drawn.length} != ${numel}`];
  return expected.values.flatMap((value, i) => {
    const index = i * stride;
    const got = Number(drawn[index]);
    return agrees(got, value, ulps) ? [] : [`[${index}]: ${got} != ${value}`];
  });
}

function describeCall(call: Call): string {
  return JSON.stringify(call);
}

describe(`Generator matches PyTorch 1.13 on this CPU, bit for bit (float64 normals and exponentials: ${LIBM_ULPS} ulps)`, () => {
  for (const sequence of fixture.sequences) {
    const ops = [...new Set(sequence.calls.map((call) => call.op))].join(', ');
    it(`seed ${sequence.seed}: ${sequence.calls.length} calls of ${ops}`, () => {
      const generator = new Generator().manual_seed(sequence.seed);
      const wrong = sequence.calls.flatMap((call, i) =>
        mismatches(draw(generator, call), sequence.outputs[i]!, allowedUlps(call)).map((detail) => `${describeCall(call)} ${detail}`),
      );
      expect(wrong).toEqual([]);
    });
  }

  for (const layer of fixture.linear) {
    it(`nn.Linear(${layer.in_features}, ${layer.out_features}) after manual_seed(${layer.seed}): weight, then bias`, () => {
      // kaiming_uniform_(a=sqrt(5)) and the bias bound, computed as torch.nn.init computes them in Python.
      const gain = Math.sqrt(2 / (1 + Math.sqrt(5) ** 2));
      expect(Math.sqrt(3) * (gain / Math.sqrt(layer.in_features))).toBe(layer.weight_bound);
      expect(1 / Math.sqrt(layer.in_features)).toBe(layer.bias_bound);
      const generator = new Generator().manual_seed(layer.seed);
      const weight = generator.uniform(layer.in_features * layer.out_features, 'float32', -layer.weight_bound, layer.weight_bound);
      const bias = generator.uniform(layer.out_features, 'float32', -layer.bias_bound, layer.bias_bound);
      expect(mismatches(weight, layer.weight)).toEqual([]);
      expect(mismatches(bias, layer.bias)).toEqual([]);
    });
  }
});

describe('multinomial', () => {
  it("reproduces makemore's bigram sampling loop with a torch.Generator seeded 2147483647", () => {
    const { seed, table, names } = fixture.bigram_names;
    const probs = Float32Array.from(table);
    const generator = new Generator().manual_seed(seed);
    const sampled = names.map(() => {
      const name: number[] = [];
      let index = 0;
      do {
        index = generator.multinomial(probs.subarray(27 * index, 27 * index + 27), 27, 1, true)[0]!;
        name.push(index);
      } while (index !== 0);
      return name;
    });
    expect(sampled).toEqual(names);
  });
});

describe('the public sampling API (generator option, multinomial, bernoulli, fills, dropout)', () => {
  const expected = fixture.sampling;

  it('draws the same sequence as PyTorch from a torch.Generator passed as the generator option', () => {
    const g = torch.Generator().manual_seed(2147483647);
    const p = torch.rand(3, { generator: g });
    expect(p.tolist()).toEqual(expected.rand);
    expect(torch.multinomial(p, { num_samples: 5, replacement: true, generator: g }).tolist()).toEqual(expected.multinomial_replacement);
    expect(torch.multinomial(torch.tensor([[0.1, 0.9, 0.0], [0.5, 0.25, 0.25]]), 2, { generator: g }).tolist()).toEqual(expected.multinomial_rows);
    expect(torch.bernoulli(torch.tensor([0.2, 0.9, 0.5, 0.7]), { generator: g }).tolist()).toEqual(expected.bernoulli);
    expect(torch.randn(2, { generator: g }).tolist()).toEqual(expected.randn);
    expect(torch.randint(0, 5, [3], { generator: g }).tolist()).toEqual(expected.randint);
    expect(torch.randperm(4, { generator: g }).tolist()).toEqual(expected.randperm);
    expect(torch.empty(5).bernoulli_(0.5, { generator: g }).tolist()).toEqual(expected.bernoulli_);
    expect(torch.empty(3).exponential_({ generator: g }).tolist()).toEqual(expected.exponential_);
    expect(torch.empty(3).normal_(0, 2, { generator: g }).tolist()).toEqual(expected.normal_);
    expect(torch.empty(3).uniform_(-1, 1, { generator: g }).tolist()).toEqual(expected.uniform_);
  });

  it("runs makemore's bigram sampling with torch.randint, torch.multinomial and .item(), as PyTorch does", () => {
    const { seed, table, names } = fixture.bigram_names;
    const counts = torch.randint(0, 50, [27, 27], { generator: torch.Generator().manual_seed(7) }).float().add(1);
    const probabilities = counts.div(counts.sum(1, { keepdim: true }));
    expect(Array.from(probabilities.reshape(-1).toTypedArray())).toEqual(table);
    const g = torch.Generator().manual_seed(seed);
    const sampled = names.map(() => {
      const name: number[] = [];
      let index = 0;
      do {
        index = torch.multinomial(probabilities.get(index), { num_samples: 1, replacement: true, generator: g }).item();
        name.push(index);
      } while (index !== 0);
      return name;
    });
    expect(sampled).toEqual(names);
  });

  it('nn.Dropout zeroes and scales while training, passes through in eval mode, and its gradient follows the mask', () => {
    torch.manual_seed(0);
    const model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Dropout(0.4));
    const x = torch.randn(2, 4);
    const trained = model(x);
    trained.sum().backward();
    expect(trained.tolist()).toEqual(expected.dropout_model.train);
    expect((model[0] as torch.nn.Linear).weight.grad!.tolist()).toEqual(expected.dropout_model.weight_grad);
    expect(model.eval()(x).tolist()).toEqual(expected.dropout_model.eval);
  });
});

describe('dropout', () => {
  for (const { seed, p, n, output } of fixture.dropout) {
    it(`F.dropout(p=${p}) after manual_seed(${seed}) keeps the elements bernoulli(${n}, 1 - p) draws`, () => {
      const mask = new Generator().manual_seed(seed).bernoulli(n, 1 - p);
      const kept = 'values' in output ? output.values.map((value) => (value === 0 ? 0 : 1)) : undefined;
      if (kept) {
        expect(Array.from(mask)).toEqual(kept);
      } else {
        // Long outputs are digests: rebuild PyTorch's float32 output (mask / (1 - p)) and compare its bytes.
        const scale = Math.fround(1 / Math.fround(1 - p));
        expect(mismatches(mask.map((keep) => keep * scale), output)).toEqual([]);
      }
    });
  }
});

describe('seeds', () => {
  it('manual_seed keeps 64 bits for initial_seed, wraps negatives, and seeds the engine with the low 32 bits', () => {
    for (const { seed, initial_seed, first } of fixture.seeds) {
      const generator = new Generator().manual_seed(BigInt(seed));
      expect(generator.initial_seed()).toBe(BigInt(initial_seed));
      expect(Array.from(generator.uniform(3, 'float32'))).toEqual(first);
    }
  });

  it('accepts seeds as numbers', () => {
    const fromNumber = new Generator().manual_seed(2 ** 32 + 1).uniform(5, 'float64');
    const fromBigInt = new Generator().manual_seed(2n ** 32n + 1n).uniform(5, 'float64');
    expect(fromNumber).toEqual(fromBigInt);
  });

  it('a new Generator starts from 67280421310721, as torch.Generator() does', () => {
    const generator = new Generator();
    expect(generator.initial_seed()).toBe(BigInt(fixture.fresh_generator.initial_seed));
    expect(Array.from(generator.normal(20, 'float32'))).toEqual(fixture.fresh_generator.first);
  });

  it('seed() reseeds with a fresh 64-bit seed that manual_seed reproduces', () => {
    const generator = new Generator();
    const seed = generator.seed();
    expect(seed < 2n ** 64n && seed >= 0n).toBe(true);
    expect(generator.initial_seed()).toBe(seed);
    const drawn = generator.uniform(4, 'float64');
    expect(new Generator().manual_seed(seed).uniform(4, 'float64')).toEqual(drawn);
  });

  it('manual_seed seeds the default generator and returns it', () => {
    expect(manual_seed(42)).toBe(default_generator);
    const expected = fixture.sequences.find((s) => s.seed === 42 && s.calls[0]!.op === 'uniform')!;
    expect(mismatches(default_generator.uniform(10, 'float32'), expected.outputs[0]!)).toEqual([]);
  });

  it('the torch.random functions act on the default generator', () => {
    manual_seed(5);
    expect(initial_seed()).toBe(5n);
    const saved = get_rng_state();
    const drawn = default_generator.normal(3, 'float64');
    set_rng_state(saved);
    expect(default_generator.normal(3, 'float64')).toEqual(drawn);
    const fresh = seed();
    expect(initial_seed()).toBe(fresh);
  });

  it('manual_seed drops a cached normal sample', () => {
    const generator = new Generator().manual_seed(3);
    const first = generator.normal(1, 'float64')[0];
    generator.normal(1, 'float64');
    generator.manual_seed(3);
    expect(generator.normal(1, 'float64')[0]).toBe(first);
  });
});

describe('state', () => {
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
  const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
  // Struct padding in CPUGeneratorImplState is left uninitialised by PyTorch; only the fields are compared.
  const padding = [5044, 5045, 5046, 5047, 5053, 5054, 5055];
  const fields = (bytes: Uint8Array): string => hex(bytes.map((byte, i) => (padding.includes(i) ? 0 : byte)));

  for (const state of fixture.states) {
    it(`get_state() after seed ${state.seed} and ${state.calls.length} calls has torch.get_rng_state()'s bytes`, () => {
      const generator = new Generator().manual_seed(state.seed);
      for (const call of state.calls) draw(generator, call);
      expect(generator.get_state().length).toBe(5056);
      expect(fields(generator.get_state())).toBe(fields(fromHex(state.state)));
    });

    it(`set_state(torch.get_rng_state()) after seed ${state.seed} continues PyTorch's stream`, () => {
      const generator = new Generator().set_state(fromHex(state.state));
      expect(generator.initial_seed()).toBe(BigInt(state.initial_seed));
      expect(mismatches(generator.normal(3, 'float64'), state.after[0]!, LIBM_ULPS)).toEqual([]);
      expect(mismatches(generator.uniform(700, 'float32'), state.after[1]!)).toEqual([]);
      generator.set_state(fromHex(state.state).subarray(0, 5048));
      expect(mismatches(generator.normal(3, 'float64'), state.after_legacy, LIBM_ULPS)).toEqual([]);
    });
  }

  it('a state saved mid-stream replays the same draws, cached normal included', () => {
    const generator = new Generator().manual_seed(11);
    generator.normal(5, 'float64');
    const saved = generator.get_state();
    const first = [generator.normal(3, 'float32'), generator.randperm(9), generator.normal(17, 'float64')];
    generator.set_state(saved);
    expect([generator.normal(3, 'float32'), generator.randperm(9), generator.normal(17, 'float64')]).toEqual(first);
  });

  it('rejects states of the wrong size or with an impossible position', () => {
    const generator = new Generator();
    expect(() => generator.set_state(new Uint8Array(10))).toThrow(fixture.errors.state_size!);
    const broken = generator.get_state();
    broken.fill(0, 8, 12);
    expect(() => generator.set_state(broken)).toThrow('Invalid mt19937 state');
  });
});

describe("errors carry PyTorch's messages", () => {
  const generator = new Generator();
  const cases: [string, () => unknown][] = [
    ['randint_empty', () => generator.randint(5, 5, 3)],
    ['randint_reversed', () => generator.randint(5, 2, 3)],
    ['randperm_negative', () => generator.randperm(-1)],
    ['bernoulli_p', () => generator.bernoulli(3, 1.5)],
    ['normal_std', () => generator.normal(3, 'float32', 0, -1.5)],
    ['normal_std_small', () => generator.normal(3, 'float32', 0, -1e-7)],
    ['normal_std_large', () => generator.normal(3, 'float32', 0, -123456789.5)],
    ['normal_std_nan', () => generator.normal(3, 'float32', 0, NaN)],
    ['uniform_range', () => generator.uniform(3, 'float32', 2.5, 1.25)],
    ['uniform_range_digits', () => generator.uniform(3, 'float32', 2.123456789, 1)],
    ['uniform_range_large', () => generator.uniform(3, 'float32', 1e20, 1)],
    ['bernoulli_p_nan', () => generator.bernoulli(3, NaN)],
    ['seed_overflow', () => generator.manual_seed(2n ** 64n)],
    ['bernoulli_probs', () => generator.bernoulli(2, Float32Array.of(0.5, 1.5))],
    ['exponential_lambda', () => generator.exponential(3, 'float32', -1)],
    ['multinomial_samples', () => generator.multinomial(Float32Array.of(1, 2), 2, 0)],
    ['multinomial_too_many', () => generator.multinomial(Float32Array.of(1, 2), 2, 3)],
    ['multinomial_negative', () => generator.multinomial(Float32Array.of(1, -2), 2, 1)],
    ['multinomial_negative_replacement', () => generator.multinomial(Float32Array.of(1, -2), 2, 1, true)],
    ['multinomial_infinite_replacement', () => generator.multinomial(Float32Array.of(1, Infinity), 2, 1, true)],
    ['multinomial_zero', () => generator.multinomial(Float32Array.of(0, 0), 2, 1)],
    ['multinomial_zero_replacement', () => generator.multinomial(Float32Array.of(0, 0), 2, 1, true)],
  ];
  for (const [name, call] of cases) {
    it(name, () => {
      let thrown: unknown;
      try {
        call();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect((thrown as Error).name).toBe('RuntimeError');
      expect((thrown as Error).message).toBe(fixture.errors[name]);
    });
  }
});

describe('fused multiply-add emulation', () => {
  it('fma rounds a*b+c once, where the separate product and sum would round twice', () => {
    const a = 1 + 2 ** -30;
    // a*a = 1 + 2^-29 + 2^-60: the product alone rounds the 2^-60 away, the fused form keeps it.
    expect(fma(a, a, -(1 + 2 ** -29))).toBe(2 ** -60);
    expect(a * a - (1 + 2 ** -29)).toBe(0);
  });

  it('fmaf rounds a*b+c once to float32, including past a double-rounding trap', () => {
    const a = Math.fround(1 + 2 ** -12);
    expect(fmaf(a, a, -1)).toBe(Math.fround(2 ** -11 + 2 ** -24));
    // (1 + 2^-23)(1 - 2^-23) + 2^24 + 2 is just below 2^24 + 3; rounded to double first, it would be that tie,
    // which rounds to even (2^24 + 4) instead of down.
    const up = Math.fround(1 + 2 ** -23);
    const down = Math.fround(1 - 2 ** -23);
    expect(fmaf(up, down, 2 ** 24 + 2)).toBe(2 ** 24 + 2);
    expect(Math.fround(up * down + (2 ** 24 + 2))).toBe(2 ** 24 + 4);
  });
});
