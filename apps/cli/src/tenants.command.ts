import { configuredProviders, PROVIDER_NAMES, type Config } from '@hoist/config';
import { isTenantId, type ApiKeyRepository } from '@hoist/core';
import { CommandFailed, json, UsageError, type CommandResult, type Flags } from './command.js';

/**
 * `hoist tenants provider <tenant> <provider|default> [--json]`: the provider the tenant's uploads
 * go to when they name none; `default` goes back to the deployment's (PROVIDER). API processes see
 * the change within a second (they trust a key's lookup that long).
 */
export async function tenantsProvider(apiKeys: ApiKeyRepository, config: Config, args: string[], flags: Pick<Flags, 'json'>): Promise<CommandResult> {
  const [tenant, provider] = args;
  if (tenant === undefined || provider === undefined) throw new UsageError('tenants provider needs a tenant and a provider (or "default")');
  if (!isTenantId(tenant)) throw new UsageError('the tenant must be 1–63 characters of a-z, 0-9, "_" and "-", starting with a letter or digit');
  const chosen = provider === 'default' ? null : provider;
  if (chosen !== null && !(PROVIDER_NAMES as readonly string[]).includes(chosen)) throw new UsageError(`unknown provider "${chosen}"; use ${PROVIDER_NAMES.join(', ')} or default`);
  if (!(await apiKeys.setDefaultProvider(tenant, chosen))) throw new CommandFailed(`no tenant "${tenant}" (a tenant exists once it has a key: hoist keys create --tenant ${tenant})`);
  // Not refused: the CLI may run where the workers' credentials are not; the API refuses such uploads with 422 until they are.
  const unconfigured = chosen !== null && !configuredProviders(config).includes(chosen as (typeof PROVIDER_NAMES)[number]);
  const warning = unconfigured ? `warning: ${chosen} has no credentials in this environment; uploads are refused (422 provider-not-configured) where the API has none.\n` : '';
  if (flags.json) return { ...json({ tenant, provider: chosen }), ...(warning ? { stderr: warning } : {}) };
  return { code: 0, stdout: `Tenant "${tenant}" now uploads to ${chosen ?? "the deployment's default provider"} by default.\n`, ...(warning ? { stderr: warning } : {}) };
}
