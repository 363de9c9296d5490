// Package adapters is the contract for host code that performs automated
// activities: Adapter, Request, Result, Registry and the outcome errors.
package adapters
