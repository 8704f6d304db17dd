#!/usr/bin/env node
// The member's command line: etcd's flags in, a running member out.

import { applyConfigFile, buildMemberConfig, ConfigError, ETCD_API_VERSION, parseCommandLine, usageText } from '../server/config.js';
import { createLogger } from '../pkg/logger.js';
import { logWriter } from '../pkg/log-outputs.js';
import { startMember } from '../api/start-member.js';
import { TokenError } from '../auth/tokens/index.js';
import { PACKAGE_VERSION } from '../pkg/version.js';
import { TlsConfigError } from '../tls/tls-info.js';
import { InitialCorruptCheckError } from '../server/initial-corrupt-check.js';

async function main(): Promise<void> {
  // `etcd-ts snapshot restore|status ...` (etcdctl's snapshot commands); not a member start.
  if (process.argv[2] === 'snapshot') {
    const { runSnapshotCommand } = await import('./snapshot-command.js');
    process.exitCode = await runSnapshotCommand(process.argv.slice(3));
    return;
  }
  let parsed;
  try {
    parsed = applyConfigFile(parseCommandLine(process.argv.slice(2), process.env));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${usageText()}`);
      process.exit(2);
    }
    throw error;
  }
  if (parsed.values['help'] === 'true') {
    process.stdout.write(usageText());
    return;
  }
  if (parsed.values['version'] === 'true') {
    process.stdout.write(
      `etcd Version: ${ETCD_API_VERSION}\nGit SHA: etcd-ts ${PACKAGE_VERSION}\nGo Version: node ${process.version}\nGo OS/Arch: ${process.platform}/${process.arch}\n`,
    );
    return;
  }
  let config;
  try {
    config = buildMemberConfig(parsed.values);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let write: (line: string) => void;
  try {
    write = logWriter(config.logOutputs);
  } catch (error) {
    process.stderr.write(`cannot open a log output: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
  const logger = createLogger({ level: config.logLevel, write });
  for (const warning of parsed.warnings) logger.warn(warning);
  let member;
  try {
    member = await startMember(config, logger);
  } catch (error) {
    // A refused configuration (a bad certificate, a missing key...) is one clear line, not a stack.
    if (error instanceof ConfigError || error instanceof TlsConfigError || error instanceof InitialCorruptCheckError || error instanceof TokenError) {
      logger.error('failed to start etcd', { error: error.message });
      process.exit(1);
    }
    throw error;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('received signal; shutting down', { signal });
    member.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('failed to stop cleanly', { error });
        process.exit(1);
      },
    );
  };
  // A member whose client port died must not linger as a peer that serves no client.
  member.onFailure((error) => {
    logger.error('the client transport thread failed; exiting', { error: error.message });
    process.exit(1);
  });
  // etcd exits once it has been removed from its cluster.
  member.server.onRemoved(() => shutdown('removed from the cluster'));
  process.on('SIGTERM', () => shutdown('terminated'));
  process.on('SIGINT', () => shutdown('interrupt'));
  // Log rotation: the audit log file was moved away; write to a new one. Only
  // with an audit log: otherwise SIGHUP ends the member, as it ends etcd (a
  // member started on a terminal that goes away must not live on).
  if (config.auditLogPath !== '') process.on('SIGHUP', () => member?.reopenAuditLog());
}

main().catch((error: unknown) => {
  process.stderr.write(`${JSON.stringify({ level: 'fatal', msg: 'failed to start member', error: String(error instanceof Error ? error.stack : error) })}\n`);
  process.exit(1);
});
