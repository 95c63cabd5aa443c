import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether openssl is on PATH: TLS tests skip without it. */
export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

/**
 * A self-signed P-256 certificate and key (PEM) for 127.0.0.1 and the given names, made by
 * openssl the way kubelets and test clusters make theirs.
 */
export function selfSignedCertificate(
  commonName: string,
  dnsNames: readonly string[] = [],
): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cert-'));
  try {
    const altNames = ['IP:127.0.0.1', ...dnsNames.map((name) => `DNS:${name}`)].join(',');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-subj',
        `/CN=${commonName}`,
        '-addext',
        `subjectAltName=${altNames}`,
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { encoding: 'utf8' },
    );
    if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
