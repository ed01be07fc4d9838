/**
 * Loads a large CommonJS module into require's cache from a V8 code cache kept on disk between kernel starts.
 * For the TypeScript compiler (9 MB) this spares compiling the file and, once the cache was written after a
 * first type check, the functions that check ran: about a quarter of a second of every start.
 *
 * The cache is an optimisation only: a missing, stale, unreadable, unwritable or corrupt cache means compiling as
 * usual. Every file operation is synchronous and fails fast (no locks, no waiting on other processes), and a path
 * that is not a regular file is never read, so no state of the cache directory can hold the kernel up.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';

/** A module loaded through the code cache. */
export interface CodeCachedModule {
  exports: unknown;
  /** Whether V8 compiled the module from the cache (false when there was none or V8 refused it). */
  readonly fromCache: boolean;
  /**
   * Writes the cache when it was missing or refused, with every function compiled so far: call it after the
   * module's typical first use. Never throws.
   */
  saveCache(): void;
}

/** Bytes of the SHA-1 digest that precedes the V8 data in a cache file: V8 itself does not check its payload. */
const DIGEST_BYTES = 20;

/**
 * Requires `specifier` (resolved from `parent`) with V8's code cache from `cacheDirectory`, unless require's
 * cache already holds it. Later `require(specifier)` calls anywhere get the same module.
 */
export function requireWithCodeCache(specifier: string, parent: string | URL, cacheDirectory = defaultCacheDirectory()): CodeCachedModule {
  const parentRequire = createRequire(parent);
  const filename = parentRequire.resolve(specifier);
  const loaded = parentRequire.cache[filename];
  if (loaded) return { exports: loaded.exports, fromCache: false, saveCache: () => undefined };

  const source = readFileSync(filename, 'utf8');
  const cacheFile = cacheDirectory === undefined ? undefined : path.join(cacheDirectory, `${path.basename(filename)}-${cacheKey(filename)}.v8cache`);
  const cachedData = cacheFile === undefined ? undefined : readCache(cacheFile);
  // The parameters of Node's own CommonJS wrapper, so that the module sees what require would give it.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename, cachedData });
  const fromCache = cachedData !== undefined && !script.cachedDataRejected;

  const module = new Module(filename);
  const moduleRequire = createRequire(filename);
  module.filename = filename;
  module.paths = moduleRequire.resolve.paths(specifier) ?? [];
  parentRequire.cache[filename] = module;
  try {
    (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, moduleRequire, module, filename, path.dirname(filename));
  } catch (error) {
    delete parentRequire.cache[filename];
    throw error;
  }
  module.loaded = true;

  let saved = fromCache;
  return {
    exports: module.exports,
    fromCache,
    saveCache: () => {
      if (saved || cacheFile === undefined) return;
      saved = true;
      writeCache(cacheFile, script.createCachedData());
    },
  };
}

/** `$TSGRAD_CACHE_DIR`, else tsgrad's directory in the user's cache directory (XDG's rules). */
function defaultCacheDirectory(): string | undefined {
  if (process.env.TSGRAD_CACHE_DIR) return process.env.TSGRAD_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || (homedir() ? path.join(homedir(), '.cache') : undefined);
  return base === undefined ? undefined : path.join(base, 'tsgrad');
}

/**
 * What the cache depends on besides the data V8 checks itself: the file's identity and version (V8 only checks the
 * source's length), and Node and its flags (V8 refuses a cache made under other flags; separate files keep kernels
 * started with different flags from overwriting each other's).
 */
function cacheKey(filename: string): string {
  const { size, mtimeMs } = statSync(filename);
  const parts = [filename, size, mtimeMs, process.version, process.arch, process.execArgv.join(' '), process.env.NODE_OPTIONS ?? ''];
  return createHash('sha1').update(parts.join('\n')).digest('hex').slice(0, 16);
}

function readCache(cacheFile: string): Buffer | undefined {
  let descriptor: number | undefined;
  try {
    // Non-blocking, and only a regular file is read: a FIFO or device at this path must not hold the kernel up.
    descriptor = openSync(cacheFile, constants.O_RDONLY | constants.O_NONBLOCK);
    if (!fstatSync(descriptor).isFile()) return undefined;
    const contents = readFileSync(descriptor);
    const payload = contents.subarray(DIGEST_BYTES);
    const intact = contents.length > DIGEST_BYTES && digest(payload).equals(contents.subarray(0, DIGEST_BYTES));
    return intact ? payload : undefined;
  } catch {
    return undefined;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}

function writeCache(cacheFile: string, data: Buffer): void {
  // Written aside and renamed into place, so that a kernel starting meanwhile never reads half a file.
  const temporary = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(temporary, Buffer.concat([digest(data), data]), { flag: 'wx' });
    renameSync(temporary, cacheFile);
  } catch {
    try {
      rmSync(temporary, { force: true });
    } catch {
      // the directory itself is unusable: nothing was written
    }
  }
}

function digest(data: Buffer): Buffer {
  return createHash('sha1').update(data).digest();
}
