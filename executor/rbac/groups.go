package rbac

import (
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/executor"
)

// groupCache keeps group members for a TTL on a clock. Reads take no
// lock: the kept entries are an immutable map, replaced whole on each
// change (a change happens once per group per TTL, and there are as many
// entries as groups bound).
type groupCache struct {
	clock executor.Clock
	ttl   time.Duration

	entries atomic.Pointer[map[string]groupEntry]

	mu  sync.Mutex // serialises changes
	gen uint64     // counts keep calls: a lookup begun before one is not kept
}

type groupEntry struct {
	members map[string]struct{} // never changed once stored
	expires time.Time
}

func newGroupCache(clk executor.Clock, ttl time.Duration) *groupCache {
	c := &groupCache{clock: clk, ttl: ttl}
	c.entries.Store(&map[string]groupEntry{})
	return c
}

// get returns the kept members of g, if they have not expired at now.
func (c *groupCache) get(g string, now time.Time) (map[string]struct{}, bool) {
	e, ok := (*c.entries.Load())[g]
	if !ok || !now.Before(e.expires) {
		return nil, false
	}
	return e.members, true
}

// generation returns the current generation, to give put after a lookup.
func (c *groupCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps the members of g for the TTL from now, unless keep was called
// since gen was read: the lookup may predate what made the host forget.
func (c *groupCache) put(g string, members map[string]struct{}, gen uint64) {
	exp := c.clock.Now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	next := maps.Clone(*c.entries.Load())
	next[g] = groupEntry{members: members, expires: exp}
	c.entries.Store(&next)
}

// keep drops every entry but those of the groups in bound.
func (c *groupCache) keep(bound map[string][]*compiled) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	next := map[string]groupEntry{}
	for g, e := range *c.entries.Load() {
		if _, ok := bound[g]; ok {
			next[g] = e
		}
	}
	c.entries.Store(&next)
}
