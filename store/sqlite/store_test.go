package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/sqlite"
	"github.com/batonhq/baton/store/storetest"
)

func openTemp(t testing.TB, opts *sqlite.Options) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "baton.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestStore(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) store.Store {
		// NORMAL keeps the suite fast; FULL differs only in fsyncs.
		return openTemp(t, &sqlite.Options{Synchronous: sqlite.SyncNormal})
	}, &storetest.Options{Tamperer: tamperer{}})
}
