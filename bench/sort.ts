/**
 * `npx tsx bench/sort.ts [--sizes 3000,10400,300000] [--reps N]`: the two radix sorts of
 * src/stats/sort.ts against each other and against the built-in sort, in one process, taking
 * turns, on the kinds of values features have. Prints nanoseconds per value (median of the
 * repetitions) and which sort `sortFloat64` used. Each sorted result is checked, bit for bit,
 * against the built-in sort's before anything is timed.
 *
 * - high word: sortByHighWord alone (3 passes over the high 32 bits of the bit patterns);
 * - sortFloat64: what evaluation calls (by range where it takes the values, else by high word);
 * - built-in: Float64Array.prototype.sort.
 */
import { mulberry32 } from '../src/stats/index.js';
import { sortAndTell, sortByHighWord, sortFloat64 } from '../src/stats/sort.js';
import { median } from './lib/common.js';

function parseArgs(argv: string[]): { sizes: number[]; reps: number } {
  const o = { sizes: [3_000, 10_400, 300_000], reps: 7 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--sizes') o.sizes = value().split(',').map(Number);
    else if (a === '--reps') o.reps = Number(value());
    else throw new Error(`unknown option ${a} (usage: npx tsx bench/sort.ts [--sizes 3000,10400,300000] [--reps N])`);
  }
  if (o.sizes.some((n) => !Number.isInteger(n) || n < 2)) throw new Error('--sizes: whole numbers of at least 2, separated by commas');
  if (!Number.isInteger(o.reps) || o.reps < 1) throw new Error('--reps: a whole number of at least 1');
  return o;
}

const r = mulberry32(42);
const normal = (): number => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const KINDS: [string, () => number][] = [
  ['normal, 6 decimals', () => Math.round(normal() * 1e6) / 1e6],
  ['uniform', () => r()],
  ['exponential', () => -Math.log(1 - r())],
  ['log-normal σ=1.5', () => Math.exp(1.5 * normal())],
  ['Cauchy', () => Math.tan(Math.PI * (r() - 0.5))],
  ['20 integers', () => Math.floor(r() * 20)],
  ['two values', () => (r() < 0.3 ? 1 : 0)],
];
const SORTS: [string, (a: Float64Array) => unknown][] = [
  ['high word', sortByHighWord],
  ['sortFloat64', sortFloat64],
  ['built-in', (a) => a.sort()],
];
const ARRAYS = 4; // different arrays per kind and size, so that no one array's luck decides

function sameBits(a: Float64Array, b: Float64Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function main(): void {
  const { sizes, reps } = parseArgs(process.argv.slice(2));
  console.log(`sorting Float64Arrays, ns per value (median of ${reps} repetitions, ${ARRAYS} arrays each, sorts taking turns)`);
  console.log(['values'.padStart(8), 'kind'.padEnd(20), 'used by sortFloat64'.padEnd(20), ...SORTS.map(([name]) => name.padStart(12))].join('  '));
  for (const n of sizes) {
    for (const [kind, draw] of KINDS) {
      const inputs = Array.from({ length: ARRAYS }, () => Float64Array.from({ length: n }, draw));
      for (const input of inputs) {
        const expected = input.slice().sort();
        for (const [name, sort] of SORTS) {
          const a = input.slice();
          sort(a);
          if (!sameBits(a, expected)) throw new Error(`${name} did not sort ${kind} (${n} values) as the built-in sort does`);
        }
      }
      const used = sortAndTell(inputs[0].slice());
      const times: number[][] = SORTS.map(() => []);
      for (let rep = 0; rep < reps; rep++) {
        const total = SORTS.map(() => 0);
        for (const input of inputs) {
          SORTS.forEach(([, sort], s) => {
            const a = input.slice();
            const t0 = performance.now();
            sort(a);
            total[s] += performance.now() - t0;
          });
        }
        total.forEach((t, s) => times[s].push((t * 1e6) / (ARRAYS * n)));
      }
      console.log([n.toLocaleString('en').padStart(8), kind.padEnd(20), used.padEnd(20), ...times.map((t) => median(t).toFixed(1).padStart(12))].join('  '));
    }
    process.stderr.write(`[sort bench] ${n.toLocaleString('en')} values done\n`);
  }
}

main();
