// Types of load.js (plain JavaScript, as bin/ runs before anything is compiled).

/** The state of a source tree that decides whether its build is fresh (the stamp's text). */
export function sourceState(srcDir: string): string;

/**
 * Makes distDir a fresh build of srcDir (waiting while another process builds it); resolves to
 * whether it was built here; rejects when it cannot be done (no esbuild, a compile error, a folder
 * that cannot be written).
 */
export function ensureDist(srcDir: string, distDir: string): Promise<boolean>;

/** Imports src/<rel>.ts compiled (dist/<rel>.js, built first when src/ changed), or through tsx. */
export function importSrc(rel: string, root?: string): Promise<unknown>;
