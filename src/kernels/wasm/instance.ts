/**
 * One WebAssembly kernel module and the memory its kernels stage operands in: compiled on first use (~1 ms,
 * synchronously, so start-up pays nothing for it), its memory grown as a call needs and dropped after a call
 * that needed a lot, so one huge operation does not hold its size for the session.
 */

/** The part of the WebAssembly JavaScript API used here (the compiler's libraries, without DOM, declare none). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: unknown };
};

/** A WebAssembly.Memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

const PAGE_BYTES = 65_536;
/** Past this much memory an operation stays in JavaScript: a wasm32 memory tops out at 4 GiB, and growing near that can fail. */
const MAX_MEMORY_BYTES = 2 ** 31;
/** A memory grown past this is dropped after the call that needed it. */
const KEPT_MEMORY_BYTES = 64 * 2 ** 20;

/** A kernel module, instantiated when first needed. */
export class WasmKernels<Exports extends { readonly memory: WasmMemory }> {
  private current: Exports | null = null;

  /** `wasmBase64`: the module's binary, as tools/wasm/build.mjs generates it. */
  constructor(private readonly wasmBase64: string) {}

  /** The module's exports with a memory of at least `bytes`, or null if WebAssembly cannot give that much. */
  reserve(bytes: number): Exports | null {
    if (bytes > MAX_MEMORY_BYTES) return null;
    if (this.current === null) {
      const binary = Uint8Array.from(atob(this.wasmBase64), (char) => char.charCodeAt(0));
      this.current = new WebAssembly.Instance(new WebAssembly.Module(binary), {}).exports as Exports;
    }
    const missing = bytes - this.current.memory.buffer.byteLength;
    if (missing > 0) this.current.memory.grow(Math.ceil(missing / PAGE_BYTES));
    return this.current;
  }

  /** Ends a call that reserved `bytes`. */
  release(bytes: number): void {
    if (bytes > KEPT_MEMORY_BYTES) this.current = null;
  }
}
