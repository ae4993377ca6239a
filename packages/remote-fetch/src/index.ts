/**
 * SSRF-safe fetching of user-supplied URLs ("upload from a remote URL").
 *
 * - {@link validateRemoteUrl}: synchronous check at submit time.
 * - {@link fetchRemote}: the download, re-checking every redirect and every resolved address, with
 *   the connection pinned to the checked addresses, size and time limits.
 * - {@link postRemote}: one POST (webhook deliveries) under the same checks and pinning, no redirects.
 * - {@link parseAllowList}: reads `URL_FETCH_ALLOW`.
 * - {@link classifyAddress} / {@link isForbiddenAddress}: the address policy on its own.
 */
export { classifyAddress, isForbiddenAddress, type AddressVerdict } from './address-policy.js';
export { parseAllowList } from './allow-list.js';
export { RemoteFetchError, type RemoteFetchErrorCode } from './errors.js';
export { fetchRemote, type FetchRemoteOptions, type RemoteResource } from './fetch-remote.js';
export type { MinTransferRate } from './limited-body.js';
export { postRemote, type PostRemoteOptions } from './post-remote.js';
export { systemResolveHost, type ResolveHost, type ResolvedAddress } from './resolve.js';
export { DEFAULT_ALLOWED_PORTS, validateRemoteUrl, type RemoteUrlPolicy, type ValidatedRemoteUrl } from './validate-url.js';
