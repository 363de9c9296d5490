package memstore_test

import (
	"testing"

	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
	"github.com/batonhq/baton/store/storetest"
)

func TestStore(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) store.Store { return memstore.New(nil) },
		&storetest.Options{Tamperer: memstore.Tamperer{}})
}

func TestStoreWithFrequentSnapshots(t *testing.T) {
	storetest.TestStore(t, func(t *testing.T) store.Store { return memstore.New(&memstore.Config{SnapshotEvery: 3}) },
		&storetest.Options{Tamperer: memstore.Tamperer{}})
}
