package rbac

import (
	"sync"
	"time"

	"github.com/batonhq/baton/executor"
)

// groupCache keeps group members for a TTL on a clock.
type groupCache struct {
	clock executor.Clock
	ttl   time.Duration

	mu      sync.Mutex
	entries map[string]groupEntry
	gen     uint64 // counts keep calls: a lookup begun before one is not kept
}

type groupEntry struct {
	members map[string]struct{} // never changed once stored
	expires time.Time
}

func newGroupCache(clk executor.Clock, ttl time.Duration) *groupCache {
	return &groupCache{clock: clk, ttl: ttl, entries: map[string]groupEntry{}}
}

// get returns the kept members of g, if they have not expired.
func (c *groupCache) get(g string) (map[string]struct{}, bool) {
	now := c.clock.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[g]
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
	if gen == c.gen {
		c.entries[g] = groupEntry{members: members, expires: exp}
	}
}

// keep drops every entry but those of the groups in bound.
func (c *groupCache) keep(bound map[string][]*compiled) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for g := range c.entries {
		if _, ok := bound[g]; !ok {
			delete(c.entries, g)
		}
	}
}
