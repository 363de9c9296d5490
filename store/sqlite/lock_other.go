//go:build !unix

package sqlite

import "os"

// tryLock does not lock on this platform: Open cannot refuse a second
// Store there (see the package doc), and one host must see to it.
func tryLock(*os.File) (bool, error) { return true, nil }
