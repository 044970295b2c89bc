/**
 * The two passes of the bucket statistics (select.ts) in WebAssembly: counting every value's key,
 * and gathering the values of some buckets. Each is one loop over a whole sample; in TypeScript
 * they cost about 10 ns per value on the project's machine, here about half, the copy of the
 * sample into the kernel's memory included. A sample that lies in an arena (arena.ts: compare
 * reads its columns into one) is read where it lies, without that copy.
 *
 * The key is computed with the same double operations in the same order as keyOf in select.ts,
 * trunc(min(max((x − lo) · scale + 1, 0), K + 2)): f64.max and f64.min treat NaN and signed zeros
 * as Math.max and Math.min do, and i32.trunc_sat_f64_s gives 0 for NaN, as `| 0` does, and the
 * same whole number for anything between 0 and K + 2. So every key, count and gathered value is
 * the one select.ts computes in TypeScript. (A sample's own keys, which select.ts computes without
 * the clamps, are the same keys: they lie in 1..K + 1.)
 *
 * Both functions decline (countKeysWasm returns -1, gatherWasm false) when WebAssembly is not
 * available or the kernel is switched off (`bucketKernel.enabled = false`, or DRIFTLINE_WASM=0 for
 * a whole process), and the caller does the pass in TypeScript. Samples below MIN_VALUES are left
 * to TypeScript too: the copy and the call would cost more than they save.
 */
import { WasmArena } from './arena.js';
import { compileWat, instantiate, memoryImport, WASM_PAGE, type WasmMemory } from './wasm.js';

export const bucketKernel = { enabled: (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.DRIFTLINE_WASM !== '0' };

const MIN_VALUES = 4096;

/** The key of $x, clamped to 0..$last (see the module comment). */
const KEY = String.raw`(i32.trunc_sat_f64_s
          (f64.min (f64.max (f64.add (f64.mul (f64.sub (local.get $x) (local.get $lo)) (local.get $scale)) (f64.const 1))
                            (f64.const 0))
                   (local.get $last)))`;

/**
 * A loop over the $n doubles from $v (advanced as it goes; $end is set): `body` runs with each in
 * $x, in order. The functions declare $end and $x.
 */
const eachValue = (body: string): string => String.raw`(local.set $end (i32.add (local.get $v) (i32.shl (local.get $n) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $v) (local.get $end)))
        (local.set $x (f64.load (local.get $v)))
        ${body}
        (local.set $v (i32.add (local.get $v) (i32.const 8)))
        (br $next)))`;

/** The kernel, on a memory of its own or an arena's (memoryImport). */
const kernelText = (memory: string): string => String.raw`
(module
  (import "env" "mem" ${memory})
  ;; counts[key] += 1 (i32 counts at $counts) for the $n doubles at $v; returns how many are NaN.
  (func (export "count") (param $v i32) (param $n i32) (param $lo f64) (param $scale f64) (param $last f64) (param $counts i32) (result i32)
    (local $end i32) (local $x f64) (local $p i32) (local $nan i32)
    ${eachValue(String.raw`(local.set $nan (i32.add (local.get $nan) (f64.ne (local.get $x) (local.get $x))))
        (local.set $p (i32.add (local.get $counts) (i32.shl ${KEY} (i32.const 2))))
        (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))`)}
    (local.get $nan))
  ;; The smallest and the largest of the $n doubles at $v that are not NaN, found as in order
  ;; \`x < lo\` and \`x > hi\` find them from +Infinity and -Infinity, to $out and $out + 8;
  ;; returns how many are NaN.
  (func (export "range") (param $v i32) (param $n i32) (param $out i32) (result i32)
    (local $end i32) (local $x f64) (local $lo f64) (local $hi f64) (local $nan i32)
    (local.set $lo (f64.const Infinity))
    (local.set $hi (f64.const -Infinity))
    ${eachValue(String.raw`(local.set $nan (i32.add (local.get $nan) (f64.ne (local.get $x) (local.get $x))))
        (local.set $lo (select (local.get $x) (local.get $lo) (f64.lt (local.get $x) (local.get $lo))))
        (local.set $hi (select (local.get $x) (local.get $hi) (f64.gt (local.get $x) (local.get $hi))))`)}
    (f64.store (local.get $out) (local.get $lo))
    (f64.store offset=8 (local.get $out) (local.get $hi))
    (local.get $nan))
  ;; For each of the $n doubles at $v, in order: t = mark[key] (i32); when t is not 0, the value
  ;; goes to out[at[t]] (f64) and at[t] (i32) grows by one. No value is written at or past
  ;; out[$total] (a sample that is not the one counted: the caller sees it in at[]).
  (func (export "gather") (param $v i32) (param $n i32) (param $lo f64) (param $scale f64) (param $last f64)
        (param $mark i32) (param $at i32) (param $out i32) (param $total i32)
    (local $end i32) (local $x f64) (local $t i32) (local $p i32)
    ${eachValue(String.raw`(local.set $t (i32.load (i32.add (local.get $mark) (i32.shl ${KEY} (i32.const 2)))))
        (if (local.get $t)
          (then
            (local.set $p (i32.add (local.get $at) (i32.shl (local.get $t) (i32.const 2))))
            (if (i32.lt_u (i32.load (local.get $p)) (local.get $total))
              (then (f64.store (i32.add (local.get $out) (i32.shl (i32.load (local.get $p)) (i32.const 3))) (local.get $x))))
            (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))))`)})
)`;

/**
 * An instance: per thread, one on a memory of its own, which holds one pass's data at a time (the
 * sample copied in, then the tables), made at the first use; and one per arena the samples lie in,
 * whose tables go to `scratch` (this thread's bytes in the arena, taken from it as needed).
 */
interface Kernel {
  memory: WasmMemory;
  count: (v: number, n: number, lo: number, scale: number, last: number, counts: number) => number;
  gather: (v: number, n: number, lo: number, scale: number, last: number, mark: number, at: number, out: number, total: number) => void;
  range: (v: number, n: number, out: number) => number;
  scratch: number;
  scratchBytes: number;
}
let kernel: Kernel | null | undefined;
const inArena = new WeakMap<WasmArena, Kernel | null>();

function make(module: object, memory: number | WasmMemory): Kernel {
  const made = instantiate(module, memory);
  const e = made.exports;
  return { memory: made.memory, count: e.count as Kernel['count'], gather: e.gather as Kernel['gather'], range: e.range as Kernel['range'], scratch: 0, scratchBytes: 0 };
}

/** This thread's kernel on its own memory, with room for `bytes` from 0, or null. */
function withRoom(bytes: number): Kernel | null {
  if (kernel === undefined) {
    const module = compileWat(kernelText(memoryImport(false)));
    kernel = module === null ? null : make(module, 1);
  }
  const k = kernel;
  if (!k) return null;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / WASM_PAGE));
  return k;
}

/** This thread's kernel on the arena `values` lie in, with `bytes` of scratch; null if none. */
function inPlace(values: Float64Array, bytes: number): Kernel | null {
  const arena = WasmArena.holding(values);
  if (!arena) return null;
  let k = inArena.get(arena);
  if (k === undefined) {
    const module = compileWat(kernelText(memoryImport(true)));
    k = module === null ? null : make(module, arena.memory);
    inArena.set(arena, k);
  }
  if (!k) return null;
  if (k.scratchBytes < bytes) {
    const want = Math.max(bytes, 2 * k.scratchBytes);
    const at = arena.alloc(want);
    if (at < 0) return null;
    k.scratch = at;
    k.scratchBytes = want;
  }
  return k;
}

/**
 * Where a pass works: the kernel, the sample's address in its memory (where it lies, in an arena;
 * else copied to the start of the kernel's own memory), and where `bytes` of tables for the pass
 * go (the arena's scratch, or after the copy). Null when the kernel cannot run here.
 */
function placed(values: Float64Array, bytes: number): { k: Kernel; v: number; t: number } | null {
  const k = inPlace(values, bytes);
  if (k) return { k, v: values.byteOffset, t: k.scratch };
  const n = values.length;
  const own = withRoom(8 * n + bytes);
  if (!own) return null;
  new Float64Array(own.memory.buffer, 0, n).set(values);
  return { k: own, v: 0, t: 8 * n };
}

/**
 * countKeys' pass: adds each value's key to counts[key] (counts of length K + 4 or more). Returns
 * the number of NaN values, or -1 when the caller must count (see the module comment).
 */
export function countKeysWasm(values: Float64Array, lo: number, scale: number, size: number, counts: Int32Array): number {
  const n = values.length;
  if (!bucketKernel.enabled || n < MIN_VALUES) return -1;
  const p = placed(values, 4 * counts.length);
  if (!p) return -1;
  const cm = new Int32Array(p.k.memory.buffer, p.t, counts.length);
  cm.set(counts);
  const nan = p.k.count(p.v, n, lo, scale, size + 2, p.t);
  counts.set(cm);
  return nan;
}

/**
 * gatherBuckets' pass: for each value in order, t = mark[key]; when t is not 0 the value goes to
 * out[at[t]++]. `at` is updated. Returns false when the caller must do it (see the module comment).
 */
export function gatherWasm(sample: Float64Array, lo: number, scale: number, size: number, mark: Int32Array, at: Int32Array, out: Float64Array): boolean {
  const n = sample.length;
  if (!bucketKernel.enabled || n < MIN_VALUES) return false;
  // Tables from offset o: mark, at, then out (8-aligned).
  const tables = (o: number): [number, number, number] => {
    const a = o + 4 * mark.length;
    return [o, a, (a + 4 * at.length + 7) & ~7];
  };
  const p = placed(sample, tables(0)[2] + 8 * out.length);
  if (!p) return false;
  const { k, v, t } = p;
  const [m, a, o] = tables(t);
  const buffer = k.memory.buffer;
  new Int32Array(buffer, m, mark.length).set(mark);
  const am = new Int32Array(buffer, a, at.length);
  am.set(at);
  k.gather(v, n, lo, scale, size + 2, m, a, o, out.length);
  at.set(am);
  out.set(new Float64Array(buffer, o, out.length));
  return true;
}

/**
 * The smallest and the largest value of a sample that are not NaN (+Infinity and -Infinity when
 * there is none), and how many are NaN, for a sample in an arena (read where it lies): exactly
 * what a loop keeping `v < min` and `v > max` in order finds. Null when the caller must look
 * (not in an arena, small, or the kernel off): a copy would cost more than the pass.
 */
export function rangeWasm(values: Float64Array): { min: number; max: number; nan: number } | null {
  const n = values.length;
  if (!bucketKernel.enabled || n < MIN_VALUES) return null;
  const k = inPlace(values, 16);
  if (!k) return null;
  const nan = k.range(values.byteOffset, n, k.scratch);
  const out = new Float64Array(k.memory.buffer, k.scratch, 2);
  return { min: out[0], max: out[1], nan };
}
