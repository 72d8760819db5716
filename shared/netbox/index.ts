/** The typed NetBox module: the only public surface of shared/netbox. */
export * from './cables.ts';
export * from './client.ts';
export * from './devices.ts';
export * from './errors.ts';
export * from './hints.ts';
export * from './interfaces.ts';
export * from './ip-addresses.ts';
export * from './journal.ts';
export * from './mac-addresses.ts';
export * from './pagination.ts';
export * from './prefixes.ts';
export * from './retry.ts';
export * from './types.ts';
export * from './version.ts';
export * from './vrfs.ts';
export * from './probe.ts';
export * from './graphql.ts';
