/**
 * makeLogger (src/cli/run.ts) blanks password-like keys. pino writes straight to fd 1, so the
 * logger runs in a child process (node + tsx, like bin/driftline.js) and its stdout is checked.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const SECRET = 'hunter2-do-not-log';

function logLines(code: string): Record<string, unknown>[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `import { makeLogger } from './src/cli/run.ts';\nconst log = makeLogger({ logLevel: 'info' });\n${code}`], { cwd: REPO, encoding: 'utf8', env: { ...process.env, SECRET } });
  return out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('makeLogger redaction', () => {
  it('replaces sasl.password, kafka.sasl.password, password and ssl.key with [redacted]', () => {
    const [line, second] = logLines(`
      const secret = process.env.SECRET;
      log.info({ sasl: { mechanism: 'scram-sha-256', username: 'driftline', password: secret } }, 'connecting');
      log.warn({ kafka: { sasl: { username: 'driftline', password: secret } }, ssl: { key: secret }, password: secret, authorization: 'Bearer ' + secret }, 'config');
    `);
    expect(line.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'driftline', password: '[redacted]' });
    expect(second.password).toBe('[redacted]');
    expect(second.authorization).toBe('[redacted]');
    expect(second.ssl).toEqual({ key: '[redacted]' });
    expect((second.kafka as { sasl: { password: string } }).sasl.password).toBe('[redacted]');
    expect(JSON.stringify([line, second])).not.toContain(SECRET);
  });
});
