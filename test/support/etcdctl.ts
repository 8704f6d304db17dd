// Runs the real etcdctl (Debian's etcd-client, v3.4) against an endpoint.

import { spawn } from 'node:child_process';

export const ETCDCTL_BINARY = '/usr/bin/etcdctl';

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function etcdctl(endpoint: string, args: string[], options: { stdin?: string; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, '--dial-timeout=5s', '--command-timeout=10s', ...args], {
      env: { ...process.env, ETCDCTL_API: '3' },
      // No stdin pipe unless there is input: etcdctl may exit before reading it (EPIPE).
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }
  });
}

/** etcdctl that must succeed; returns stdout. */
export async function etcdctlOk(endpoint: string, args: string[], options: { stdin?: string } = {}): Promise<string> {
  const result = await etcdctl(endpoint, args, options);
  if (result.code !== 0) {
    throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}
