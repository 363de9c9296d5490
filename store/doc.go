// Package store is the storage contract: small role-named interfaces for
// processes, input sets, releases with their event logs, groups and leases,
// and the sentinel errors every implementation returns.
package store
