/**
 * An arena: one shared WebAssembly memory that holds big numeric columns, so that the kernels
 * (bucket-kernel.ts) work on them where they lie instead of copying each sample into their own
 * memory first. `driftline compare` makes one per run: the CSV reader puts its columns there (in
 * both threads: the memory is shared), and the bucket passes of every feature read them in place.
 *
 * Memory is taken, never given back: the arena goes as a whole when nothing refers to it any more
 * (its columns, the threads' kernels). It holds at most 4 GiB (the limit of 32-bit WebAssembly);
 * when it is full, `float64` returns null and the caller makes an ordinary array, which the kernels
 * copy as before. Taking memory is safe from several threads at once (one atomic word).
 *
 * A thread knows an arena once it made it (`create`) or was given its memory (`adopt`), until
 * `release`. `WasmArena.holding(view)` finds the known arena a column lies in: its buffer is the
 * arena's memory if a word written through the arena reads back through the column's buffer. A
 * copy of the memory (SharedArrayBuffer.prototype.slice) does not see the write, so it is never
 * mistaken for the arena; two threads probing at once can only miss (then the kernel copies).
 */
import { SHARED_MAX_PAGES, sharedMemory, WASM_PAGE, type WasmMemory } from './wasm.js';

/** Bytes before the first allocation: [0, 4) the next free byte, [4, 8) the probe word. */
const HEADER = 64;
const TOP = 0;
const PROBE = 1;
/** 4 GiB, in pages (32-bit WebAssembly); the last page stays unused, so offsets fit 32 bits. */
const MAX_PAGES = SHARED_MAX_PAGES;
const MAX_BYTES = (MAX_PAGES - 1) * WASM_PAGE;

/** `arenas.enabled = false`: create() makes none (tests compare the two; DRIFTLINE_WASM=0 does the same for a process). */
export const arenas = { enabled: (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DRIFTLINE_WASM !== '0' };

/** The arenas this thread knows (see the module comment). */
const known = new Set<WasmArena>();
/** For each buffer looked at, the known arena it is the memory of, or null (forgotten when an arena becomes known). */
let seen = new WeakMap<object, WasmArena | null>();
let probeValue = 1;

export class WasmArena {
  private constructor(readonly memory: WasmMemory) {
    known.add(this);
    seen = new WeakMap();
  }

  /** A new arena, known to this thread; null where WebAssembly has no shared memory. */
  static create(): WasmArena | null {
    if (!arenas.enabled) return null;
    const memory = sharedMemory(1, MAX_PAGES);
    if (!memory) return null;
    new Uint32Array(memory.buffer, 0, 2)[TOP] = HEADER;
    return new WasmArena(memory);
  }

  /** The arena of a memory made by `create` in another thread, known to this one from now on. */
  static adopt(memory: WasmMemory): WasmArena {
    return new WasmArena(memory);
  }

  /** The known arena whose memory `view` lies in, or null. */
  static holding(view: ArrayBufferView): WasmArena | null {
    if (known.size === 0) return null;
    const buffer = view.buffer;
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER) return null;
    const hit = seen.get(buffer);
    if (hit !== undefined) return hit && known.has(hit) ? hit : null;
    let found: WasmArena | null = null;
    for (const arena of known) {
      if (arena.aliases(buffer)) {
        found = arena;
        break;
      }
    }
    seen.set(buffer, found);
    return found;
  }

  /** Whether `buffer` is this arena's memory: two words written here read back there. */
  private aliases(buffer: SharedArrayBuffer): boolean {
    const mine = new Int32Array(this.memory.buffer, 0, 2);
    const theirs = new Int32Array(buffer, 0, 2);
    for (let i = 0; i < 2; i++) {
      const v = probeValue++ | 0;
      Atomics.store(mine, PROBE, v);
      if (Atomics.load(theirs, PROBE) !== v) return false;
    }
    return true;
  }

  /** No longer known to this thread (its columns stay valid; the kernels copy them again). */
  release(): void {
    known.delete(this);
  }

  /**
   * Takes `bytes` bytes (rounded up to a multiple of 8) and returns where they start, or -1 when
   * the arena cannot hold them. The bytes are zero.
   */
  alloc(bytes: number): number {
    const size = Math.ceil(bytes / 8) * 8;
    const top = new Uint32Array(this.memory.buffer, 0, 2);
    let at = Atomics.load(top, TOP);
    for (;;) {
      if (at + size > MAX_BYTES) return -1;
      const was = Atomics.compareExchange(top, TOP, at, at + size);
      if (was === at) break;
      at = was;
    }
    const end = at + size;
    try {
      // Other threads may grow it meanwhile: grow(0) tells the size now, growing is atomic.
      // Some room to spare (an eighth), so that a column at a time does not grow it each time.
      for (let pages = this.memory.grow(0); pages * WASM_PAGE < end; pages = this.memory.grow(0)) {
        const need = Math.ceil((end - pages * WASM_PAGE) / WASM_PAGE);
        this.memory.grow(Math.min(Math.max(need, pages >> 3), MAX_PAGES - pages));
      }
    } catch {
      return -1; // beyond what the system gives (the bytes taken stay unused)
    }
    return at;
  }

  /** Bytes taken so far, the header included. */
  get used(): number {
    return Atomics.load(new Uint32Array(this.memory.buffer, 0, 2), TOP);
  }

  /** `n` numbers in the arena, zero, or null when it is full. */
  float64(n: number): Float64Array | null {
    const at = this.alloc(8 * n);
    return at < 0 ? null : new Float64Array(this.memory.buffer, at, n);
  }
}
