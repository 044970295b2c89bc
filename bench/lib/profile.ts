/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package/file,
 * and total (inclusive) time of driftline's own functions.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface ProfileRow {
  name: string;
  selfPct: number;
  totalPct?: number;
}

function shortUrl(url: string): string {
  const u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('node_modules/');
  if (nm >= 0) return u.slice(nm + 'node_modules/'.length);
  const src = u.indexOf('/src/');
  if (src >= 0) return u.slice(src + 1);
  return u || '(native)';
}

function group(url: string): string {
  const s = shortUrl(url);
  if (s.startsWith('src/')) return s;
  if (s === '(native)') return '(native/gc/idle)';
  if (s.startsWith('node:')) return 'node internals';
  const parts = s.split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

export function summarizeProfile(path: string, top = 15): { functions: ProfileRow[]; files: ProfileRow[]; driftlineInclusive: ProfileRow[]; totalMs: number; idlePct: number } {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as { nodes: Node[]; startTime: number; endTime: number };
  const byId = new Map<number, Node>();
  for (const n of prof.nodes) byId.set(n.id, n);
  const total = prof.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const idle = prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((a, n) => a + (n.hitCount ?? 0), 0);
  const busy = total - idle;
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  for (const n of prof.nodes) {
    const h = n.hitCount ?? 0;
    if (!h || n.callFrame.functionName === '(idle)') continue;
    const cf = n.callFrame;
    const k = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
    fn.set(k, (fn.get(k) ?? 0) + h);
    const g = cf.url ? group(cf.url) : cf.functionName;
    file.set(g, (file.get(g) ?? 0) + h);
  }
  // inclusive time of driftline functions (src/...), counted once per stack
  const incl = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): number => {
    const n = byId.get(id)!;
    let h = n.callFrame.functionName === '(idle)' ? 0 : n.hitCount ?? 0;
    const cf = n.callFrame;
    const isMine = shortUrl(cf.url).startsWith('src/');
    const k = `${cf.functionName || '(anonymous)'} ${shortUrl(cf.url)}:${cf.lineNumber + 1}`;
    const added = isMine && !onStack.has(k);
    if (added) onStack.add(k);
    for (const c of n.children ?? []) h += walk(c, onStack);
    if (added) {
      onStack.delete(k);
      incl.set(k, (incl.get(k) ?? 0) + h);
    }
    return h;
  };
  walk(prof.nodes[0].id, new Set());
  const pct = (h: number) => Math.round((1000 * h) / Math.max(1, busy)) / 10;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, h]) => ({ name, selfPct: pct(h) }));
  return {
    functions: sorted(fn),
    files: sorted(file),
    driftlineInclusive: [...incl.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, h]) => ({ name, selfPct: pct(fn.get(name) ?? 0), totalPct: pct(h) })),
    totalMs: (prof.endTime - prof.startTime) / 1000,
    idlePct: Math.round((1000 * idle) / Math.max(1, total)) / 10,
  };
}

export function formatProfile(s: ReturnType<typeof summarizeProfile>): string {
  const lines: string[] = [];
  lines.push(`profile: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${s.idlePct}% idle; percentages are of non-idle samples`);
  lines.push('top self time by function:');
  for (const r of s.functions) lines.push(`  ${r.selfPct.toFixed(1).padStart(5)}%  ${r.name}`);
  lines.push('self time by package / driftline file:');
  for (const r of s.files) lines.push(`  ${r.selfPct.toFixed(1).padStart(5)}%  ${r.name}`);
  lines.push('driftline functions, inclusive (total) time:');
  for (const r of s.driftlineInclusive) lines.push(`  ${r.totalPct!.toFixed(1).padStart(5)}% total ${r.selfPct.toFixed(1).padStart(5)}% self  ${r.name}`);
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('profile.ts') && process.argv[2]) {
  console.log(formatProfile(summarizeProfile(process.argv[2], Number(process.argv[3] ?? 20))));
}
