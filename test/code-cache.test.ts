import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { requireWithCodeCache } from '../kernel/interpreter/code-cache.js';
import { CellSession } from './helpers/cells.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function temporaryDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'tsgrad-code-cache-'));
  directories.push(directory);
  return directory;
}

/** A CommonJS module with a function that must run after loading, and a loader that forgets it each time. */
function fixture(): { cacheDirectory: string; load: (cacheDirectory?: string) => ReturnType<typeof requireWithCodeCache> } {
  const directory = temporaryDirectory();
  const file = join(directory, 'library.cjs');
  writeFileSync(file, 'exports.square = (x) => x * x;\nexports.name = require("node:path").basename(__filename);\n');
  const parent = join(directory, 'parent.js');
  const cacheDirectory = join(directory, 'cache');
  return {
    cacheDirectory,
    load: (cache = cacheDirectory) => {
      delete createRequire(parent).cache[file];
      const loaded = requireWithCodeCache(file, parent, cache);
      const library = loaded.exports as { square(x: number): number; name: string };
      expect([library.square(7), library.name]).toEqual([49, 'library.cjs']);
      return loaded;
    },
  };
}

const cacheFiles = (directory: string) => readdirSync(directory).filter((name) => name.endsWith('.v8cache')).map((name) => join(directory, name));

describe('requireWithCodeCache', () => {
  it('compiles from the cache that an earlier load wrote', () => {
    const { cacheDirectory, load } = fixture();
    const first = load();
    expect(first.fromCache).toBe(false);
    first.saveCache();
    expect(cacheFiles(cacheDirectory)).toHaveLength(1);
    expect(load().fromCache).toBe(true);
  });

  it('gives the module require already holds', () => {
    const directory = temporaryDirectory();
    const file = join(directory, 'held.cjs');
    writeFileSync(file, 'exports.loads = (globalThis.__heldLoads = (globalThis.__heldLoads ?? 0) + 1);\n');
    const required = createRequire(join(directory, 'parent.js'))(file) as { loads: number };
    expect(requireWithCodeCache(file, join(directory, 'parent.js'), join(directory, 'cache')).exports).toBe(required);
  });

  it.each([
    ['a corrupt', (data: Buffer) => { data[data.length >> 1] ^= 0xff; return data; }],
    ['a truncated', (data: Buffer) => data.subarray(0, data.length >> 1)],
    ['an empty', () => Buffer.alloc(0)],
  ])('ignores %s cache and replaces it', (_kind, damage) => {
    const { cacheDirectory, load } = fixture();
    load().saveCache();
    const [cacheFile] = cacheFiles(cacheDirectory);
    writeFileSync(cacheFile!, damage(readFileSync(cacheFile!)));
    const damaged = load();
    expect(damaged.fromCache).toBe(false);
    damaged.saveCache();
    expect(load().fromCache).toBe(true);
  });

  it('loads without stalling when the cache path is a FIFO or the directory is unusable', () => {
    const { cacheDirectory, load } = fixture();
    load().saveCache();
    const [cacheFile] = cacheFiles(cacheDirectory);
    rmSync(cacheFile!);
    // Reading a FIFO without a writer would block for ever.
    execFileSync('mkfifo', [cacheFile!]);
    expect(load().fromCache).toBe(false);

    const notADirectory = join(cacheDirectory, 'file');
    writeFileSync(notADirectory, '');
    const unusable = load(join(notADirectory, 'cache'));
    expect(unusable.fromCache).toBe(false);
    expect(() => unusable.saveCache()).not.toThrow();
  });
});

describe('the interpreter with a code cache', () => {
  it('writes the compiler cache at its first start and runs cells whatever the cache directory', async () => {
    const previous = process.env.TSGRAD_CACHE_DIR;
    const cacheDirectory = join(temporaryDirectory(), 'cache');
    try {
      // The worker takes its environment from this process when it starts.
      process.env.TSGRAD_CACHE_DIR = cacheDirectory;
      const first = await CellSession.start();
      expect(await first.run('1+1')).toBe('2');
      await first.shutdown();
      expect(cacheFiles(cacheDirectory).map((file) => file.split('/').pop())).toEqual([expect.stringMatching(/^typescript\.js-/)]);

      const notADirectory = join(cacheDirectory, 'file');
      writeFileSync(notADirectory, '');
      process.env.TSGRAD_CACHE_DIR = join(notADirectory, 'cache');
      const second = await CellSession.start();
      expect(await second.run('const n: number = 6; n * 7')).toBe('42');
      await second.shutdown();
    } finally {
      if (previous === undefined) delete process.env.TSGRAD_CACHE_DIR;
      else process.env.TSGRAD_CACHE_DIR = previous;
    }
  });
});
