import { generateApiKey, isTenantId, type ApiKeyRepository } from '@hoist/core';
import { UsageError, type CommandResult } from './command.js';
import { table } from './table.js';

/**
 * `hoist keys create --tenant T [--name N] [--json]` prints the new key once;
 * `hoist keys list [--tenant T] [--json]`; `hoist keys revoke ID|PREFIX [--json]`.
 */
export async function keysCommand(
  apiKeys: ApiKeyRepository,
  args: string[],
  flags: { tenant?: string | undefined; name?: string | undefined; json: boolean },
): Promise<CommandResult> {
  const [action, target] = args;
  switch (action ?? '') {
    case 'create': {
      if (!flags.tenant) throw new UsageError('keys create needs --tenant <id>');
      if (!isTenantId(flags.tenant)) throw new UsageError('--tenant must be 1–63 characters of a-z, 0-9, "_" and "-", starting with a letter or digit');
      const generated = generateApiKey();
      const record = await apiKeys.create({ tenantId: flags.tenant, hash: generated.hash, prefix: generated.prefix, name: flags.name });
      if (flags.json) return { code: 0, stdout: `${JSON.stringify({ key: generated.key, tenant: record.tenantId, id: record.id, prefix: record.prefix })}\n` };
      return {
        code: 0,
        stdout: `${generated.key}\n`,
        stderr: `Created key ${record.prefix}… (id ${record.id}) for tenant "${record.tenantId}". Store it now: it is not shown again.\n`,
      };
    }
    case 'list': {
      const records = await apiKeys.list({ tenantId: flags.tenant });
      if (flags.json) return { code: 0, stdout: `${JSON.stringify(records)}\n` };
      const rows = records.map((r) => [r.id, r.tenantId, `${r.prefix}…`, r.name ?? '', r.createdAt.toISOString(), r.revokedAt ? `revoked ${r.revokedAt.toISOString()}` : 'active']);
      return { code: 0, stdout: table(['ID', 'TENANT', 'KEY', 'NAME', 'CREATED', 'STATUS'], rows) };
    }
    case 'revoke': {
      if (!target) throw new UsageError('keys revoke needs a key id or prefix');
      const revoked = await apiKeys.revoke(target);
      if (flags.json) return { code: revoked ? 0 : 1, stdout: `${JSON.stringify({ revoked })}\n` };
      return revoked
        ? { code: 0, stdout: `Revoked ${revoked} key(s).\n` }
        : { code: 1, stdout: '', stderr: `No active key with id or prefix "${target}".\n` };
    }
    default:
      throw new UsageError(`unknown keys command "${action ?? ''}"; use create, list or revoke`);
  }
}
