/**
 * A small assembler from the WebAssembly text format (WAT, folded form) to a binary module, for
 * the few kernels that run as WebAssembly (bucket-kernel.ts here, io/files/csv-kernel.ts). The
 * kernels are written, read and reviewed as text; this turns them into bytes when first needed
 * (well under a millisecond), so there is no compiled artefact in the repository and no tool to
 * install. It lives in stats/ because stats/ imports nothing from the rest of the project.
 *
 * It knows the subset the kernels use, and rejects anything else with the token it did not know:
 *   (module
 *     (import "env" "mem" (memory N))                 one imported memory, the only memory
 *     (import "env" "mem" (memory N M shared))        or a shared one (see arena.ts)
 *     (global $g (export "g") (mut i32) (i32.const 0))
 *     (func $f (export "f") (param $a i32) ... (result i32) (local $x f64) ... instructions))
 * Instructions are folded: `(i32.add (local.get $a) (i32.const 1))` emits its operands first.
 * `block` and `loop` take a label and no result type; `if` takes its condition first, then
 * `(then ...)` and an optional `(else ...)`. Locals, globals and labels go by their $names.
 * Reference: the WebAssembly core specification 1.0 (binary format, chapter 5).
 */

type Sexp = string | Sexp[];

const VALTYPE: Record<string, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c };

/** Plain instructions: opcode and, for loads and stores, the natural alignment (log2 bytes). */
const OPS: Record<string, { code: number; align?: number }> = {
  unreachable: { code: 0x00 }, nop: { code: 0x01 }, return: { code: 0x0f }, drop: { code: 0x1a }, select: { code: 0x1b },
  'i32.load': { code: 0x28, align: 2 }, 'i64.load': { code: 0x29, align: 3 }, 'f64.load': { code: 0x2b, align: 3 },
  'i32.load8_u': { code: 0x2d, align: 0 }, 'i32.store': { code: 0x36, align: 2 }, 'i64.store': { code: 0x37, align: 3 },
  'f64.store': { code: 0x39, align: 3 }, 'i32.store8': { code: 0x3a, align: 0 },
  'i32.eqz': { code: 0x45 }, 'i32.eq': { code: 0x46 }, 'i32.ne': { code: 0x47 }, 'i32.lt_s': { code: 0x48 },
  'i32.lt_u': { code: 0x49 }, 'i32.gt_s': { code: 0x4a }, 'i32.gt_u': { code: 0x4b }, 'i32.le_s': { code: 0x4c },
  'i32.le_u': { code: 0x4d }, 'i32.ge_s': { code: 0x4e }, 'i32.ge_u': { code: 0x4f },
  'f64.eq': { code: 0x61 }, 'f64.ne': { code: 0x62 }, 'f64.lt': { code: 0x63 }, 'f64.gt': { code: 0x64 },
  'f64.le': { code: 0x65 }, 'f64.ge': { code: 0x66 },
  'i32.add': { code: 0x6a }, 'i32.sub': { code: 0x6b }, 'i32.mul': { code: 0x6c }, 'i32.and': { code: 0x71 },
  'i32.or': { code: 0x72 }, 'i32.xor': { code: 0x73 }, 'i32.shl': { code: 0x74 }, 'i32.shr_u': { code: 0x76 },
  'f64.min': { code: 0xa4 }, 'f64.max': { code: 0xa5 },
  'f64.neg': { code: 0x9a }, 'f64.add': { code: 0xa0 }, 'f64.sub': { code: 0xa1 }, 'f64.mul': { code: 0xa2 },
  'f64.div': { code: 0xa3 }, 'f64.convert_i32_s': { code: 0xb7 }, 'f64.convert_i32_u': { code: 0xb8 },
};

/** Assembles a module in the subset described above. Throws an Error naming what it could not read. */
export function assembleWat(text: string): Uint8Array {
  const top = parse(text);
  if (!Array.isArray(top) || top[0] !== 'module') throw new Error('wat: expected (module ...)');
  const types: string[] = []; // signatures, as text, in order of first use
  const imports: number[][] = [];
  const globals: number[][] = [];
  const globalIndex = new Map<string, number>();
  const funcs: { type: number; body: number[]; name: string }[] = [];
  const exports: number[][] = [];
  const funcIndex = new Map<string, number>();

  const fields = top.slice(1);
  for (const f of fields) {
    if (!Array.isArray(f)) throw new Error(`wat: unexpected "${f}" in module`);
    if (f[0] === 'import') {
      const [, mod, name, desc] = f;
      if (!Array.isArray(desc) || desc[0] !== 'memory') throw new Error('wat: only a memory can be imported');
      // (memory N) or (memory N M shared): limits flag 0 (a minimum) or 3 (minimum, maximum, shared)
      const limits = desc.length === 4 && desc[3] === 'shared'
        ? [0x03, ...uleb(int(desc[1] as string)), ...uleb(int(desc[2] as string))]
        : desc.length === 2 ? [0x00, ...uleb(int(desc[1] as string))] : null;
      if (!limits) throw new Error(`wat: a memory import is (memory N) or (memory N M shared)`);
      imports.push([...str(unquote(mod as string)), ...str(unquote(name as string)), 0x02, ...limits]);
    } else if (f[0] === 'func') {
      const name = typeof f[1] === 'string' && f[1].startsWith('$') ? f[1] : `#${funcs.length}`;
      funcIndex.set(name, funcs.length);
      funcs.push({ type: -1, body: [], name });
    }
  }
  for (const f of fields) {
    if (!Array.isArray(f) || f[0] !== 'global') continue;
    let i = 1;
    const name = f[i] as string;
    if (typeof name === 'string' && name.startsWith('$')) i++;
    const index = globals.length;
    globalIndex.set(name, index);
    const parts = f.slice(i);
    const exp = parts.find((p) => Array.isArray(p) && p[0] === 'export') as Sexp[] | undefined;
    if (exp) exports.push([...str(unquote(exp[1] as string)), 0x03, ...uleb(index)]);
    const type = parts.find((p) => Array.isArray(p) && p[0] === 'mut') as Sexp[] | undefined;
    if (!type) throw new Error(`wat: global ${name} must be (mut type)`);
    const init = parts[parts.length - 1] as Sexp[];
    const g: number[] = [valtype(type[1] as string), 0x01];
    new FuncWriter(new Map(), globalIndex, funcIndex).instr(init, g);
    globals.push([...g, 0x0b]);
  }
  let fi = 0;
  for (const f of fields) {
    if (!Array.isArray(f) || f[0] !== 'func') continue;
    const func = funcs[fi];
    const locals = new Map<string, number>();
    const params: number[] = [];
    const results: number[] = [];
    const localTypes: number[] = [];
    const body: Sexp[] = [];
    for (const part of f.slice(1)) {
      if (typeof part === 'string') continue; // the function's $name
      const head = part[0];
      if (head === 'export') exports.push([...str(unquote(part[1] as string)), 0x00, ...uleb(fi)]);
      else if (head === 'param' || head === 'local') {
        const name = part[1] as string;
        locals.set(name, locals.size);
        (head === 'param' ? params : localTypes).push(valtype(part[2] as string));
      } else if (head === 'result') results.push(valtype(part[1] as string));
      else body.push(part);
    }
    const sig = `${params.join(',')}>${results.join(',')}`;
    let type = types.indexOf(sig);
    if (type < 0) type = types.push(sig) - 1;
    func.type = type;
    const code: number[] = [];
    // Locals, one entry each (count 1): simple, and the size is of no concern here.
    code.push(...uleb(localTypes.length));
    for (const t of localTypes) code.push(0x01, t);
    const w = new FuncWriter(locals, globalIndex, funcIndex);
    for (const ins of body) w.instr(ins, code);
    code.push(0x0b);
    func.body = code;
    fi++;
  }

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, items: number[][]) => {
    if (items.length === 0) return;
    const content = [...uleb(items.length), ...items.flat()];
    out.push(id, ...uleb(content.length), ...content);
  };
  section(1, types.map((sig) => {
    const [p, r] = sig.split('>').map((s) => (s === '' ? [] : s.split(',').map(Number)));
    return [0x60, ...uleb(p.length), ...p, ...uleb(r.length), ...r];
  }));
  section(2, imports);
  section(3, funcs.map((f) => uleb(f.type)));
  section(6, globals);
  section(7, exports);
  section(10, funcs.map((f) => [...uleb(f.body.length), ...f.body]));
  return Uint8Array.from(out);
}

class FuncWriter {
  private readonly labels: string[] = [];
  constructor(
    private readonly locals: Map<string, number>,
    private readonly globals: Map<string, number>,
    private readonly funcs: Map<string, number>,
  ) {}

  /** An instruction on a $name (its first argument) of `names`: its operands, the opcode, the index. */
  private named(names: Map<string, number>, what: string, args: Sexp[], out: number[], opcode: number): void {
    const name = args.shift() as string;
    const index = names.get(name);
    if (index === undefined) throw new Error(`wat: unknown ${what} ${name}`);
    for (const a of args) this.instr(a, out);
    out.push(opcode, ...uleb(index));
  }

  instr(e: Sexp, out: number[]): void {
    if (!Array.isArray(e)) throw new Error(`wat: expected an instruction in parentheses, got "${e}"`);
    const op = e[0] as string;
    const args = e.slice(1);
    switch (op) {
      case 'block':
      case 'loop': {
        const label = typeof args[0] === 'string' ? (args.shift() as string) : '';
        out.push(op === 'block' ? 0x02 : 0x03, 0x40);
        this.labels.push(label);
        for (const a of args) this.instr(a, out);
        this.labels.pop();
        out.push(0x0b);
        return;
      }
      case 'if': {
        const label = typeof args[0] === 'string' ? (args.shift() as string) : '';
        const then = args.find((a) => Array.isArray(a) && a[0] === 'then') as Sexp[] | undefined;
        const els = args.find((a) => Array.isArray(a) && a[0] === 'else') as Sexp[] | undefined;
        if (!then) throw new Error('wat: if without (then ...)');
        for (const a of args) if (a !== then && a !== els) this.instr(a, out);
        out.push(0x04, 0x40);
        this.labels.push(label);
        for (const a of then.slice(1)) this.instr(a, out);
        if (els) {
          out.push(0x05);
          for (const a of els.slice(1)) this.instr(a, out);
        }
        this.labels.pop();
        out.push(0x0b);
        return;
      }
      case 'br':
      case 'br_if': {
        const label = args.shift() as string;
        const depth = this.labels.length - 1 - this.labels.lastIndexOf(label);
        if (depth >= this.labels.length) throw new Error(`wat: unknown label ${label}`);
        for (const a of args) this.instr(a, out);
        out.push(op === 'br' ? 0x0c : 0x0d, ...uleb(depth));
        return;
      }
      case 'local.get':
      case 'local.set':
      case 'local.tee':
        this.named(this.locals, 'local', args, out, { 'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22 }[op]);
        return;
      case 'global.get':
      case 'global.set':
        this.named(this.globals, 'global', args, out, op === 'global.get' ? 0x23 : 0x24);
        return;
      case 'call':
        this.named(this.funcs, 'function', args, out, 0x10);
        return;
      case 'i32.const':
        out.push(0x41, ...sleb(BigInt(int(args[0] as string))));
        return;
      case 'f64.const': {
        const x = args[0] === 'nan' ? NaN : Number(args[0]);
        if (Number.isNaN(x) && args[0] !== 'nan') throw new Error(`wat: bad f64 constant ${args[0]}`);
        out.push(0x44, ...new Uint8Array(new Float64Array([x]).buffer));
        return;
      }
    }
    if (op === 'i32.trunc_sat_f64_s') {
      // (a prefixed opcode: 0xfc, then 2; NaN gives 0, values beyond the range its ends)
      for (const a of args) this.instr(a, out);
      out.push(0xfc, 0x02);
      return;
    }
    const info = OPS[op];
    if (!info) throw new Error(`wat: unknown instruction ${op}`);
    let offset = 0;
    const operands: Sexp[] = [];
    for (const a of args) {
      if (typeof a === 'string' && a.startsWith('offset=')) offset = int(a.slice(7));
      else operands.push(a);
    }
    for (const a of operands) this.instr(a, out);
    out.push(info.code);
    if (info.align !== undefined) out.push(...uleb(info.align), ...uleb(offset));
  }
}

/** Text into nested lists of atoms; `;;` starts a comment to the end of the line. */
function parse(text: string): Sexp {
  const tokens = text.replace(/;;[^\n]*/g, ' ').match(/\(|\)|"[^"]*"|[^\s()]+/g) ?? [];
  let i = 0;
  const read = (): Sexp => {
    const t = tokens[i++];
    if (t === undefined) throw new Error('wat: unexpected end of text');
    if (t === ')') throw new Error('wat: unexpected ")"');
    if (t !== '(') return t;
    const list: Sexp[] = [];
    while (tokens[i] !== ')') {
      if (i >= tokens.length) throw new Error('wat: missing ")"');
      list.push(read());
    }
    i++;
    return list;
  };
  const e = read();
  if (i !== tokens.length) throw new Error('wat: text after the module');
  return e;
}

function unquote(s: string): string {
  if (!/^"[^"]*"$/.test(s)) throw new Error(`wat: expected a quoted name, got ${s}`);
  return s.slice(1, -1);
}

function valtype(t: string): number {
  const v = VALTYPE[t];
  if (v === undefined) throw new Error(`wat: unknown value type ${t}`);
  return v;
}

function int(s: string): number {
  if (!/^-?\d+$/.test(s)) throw new Error(`wat: expected a whole number, got ${s}`);
  return Number(s);
}

function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(n & 0x7fn);
    n >>= 7n;
    const done = (n === 0n && (byte & 0x40) === 0) || (n === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** The part of the WebAssembly API the kernels use (the project's type libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes in a page of WebAssembly memory. */
export const WASM_PAGE = 65536;

/** Pages a shared memory may grow to: 4 GiB, all that 32-bit WebAssembly addresses (arena.ts). */
export const SHARED_MAX_PAGES = 65536;

/** How a kernel's text imports its memory: a memory of its own, or a shared one (an arena's). */
export function memoryImport(shared: boolean): string {
  return shared ? `(memory 1 ${SHARED_MAX_PAGES} shared)` : '(memory 1)';
}

const compiled = new Map<string, object | null>();

/**
 * The module of a kernel's text, compiled once per thread; null when this runtime has no
 * WebAssembly or cannot compile it (the kernels then leave their work to TypeScript).
 */
export function compileWat(text: string): object | null {
  let module = compiled.get(text);
  if (module === undefined) {
    try {
      module = wasmApi ? new wasmApi.Module(assembleWat(text)) : null;
    } catch {
      module = null;
    }
    compiled.set(text, module);
  }
  return module;
}

/**
 * An instance of a compiled kernel with, as its env.mem, a new memory of `pages` pages or the
 * memory given (which must match the module's import: shared for `(memory N M shared)`).
 */
export function instantiate(module: object, pages: number | WasmMemory): { memory: WasmMemory; exports: Record<string, unknown> } {
  const memory = typeof pages === 'number' ? new wasmApi!.Memory({ initial: pages }) : pages;
  return { memory, exports: new wasmApi!.Instance(module, { env: { mem: memory } }).exports };
}

/**
 * A new shared memory (its buffer is a SharedArrayBuffer, which other threads can be given) of
 * `pages` pages, growing up to `maximum`; null where this runtime cannot make one.
 */
export function sharedMemory(pages: number, maximum: number): WasmMemory | null {
  try {
    return wasmApi ? new wasmApi.Memory({ initial: pages, maximum, shared: true }) : null;
  } catch {
    return null;
  }
}
