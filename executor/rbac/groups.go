package rbac

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/batonhq/baton/executor"
)

// groupCache keeps group members for a TTL on a clock. Each bound group
// has a slot that the rules snapshot points to, so that reading kept
// members costs an atomic load, with no lock and no lookup by name.
type groupCache struct {
	clock executor.Clock
	ttl   time.Duration

	mu    sync.Mutex
	gen   uint64                // counts forgets: a lookup begun before one is not kept
	slots map[string]*groupSlot // the slots of the groups bound now
}

// groupSlot holds the kept members of one group, or nil.
type groupSlot struct {
	entry atomic.Pointer[groupEntry]
}

type groupEntry struct {
	members map[string]struct{} // never changed once stored
	expires time.Time
}

func newGroupCache(clk executor.Clock, ttl time.Duration) *groupCache {
	return &groupCache{clock: clk, ttl: ttl, slots: map[string]*groupSlot{}}
}

// bind gives each group of s its slot: the one it had under the rules
// before, keeping what it holds, or a new one. Slots of groups no longer
// bound are dropped, and with them what they held.
func (c *groupCache) bind(s *snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	slots := make(map[string]*groupSlot, len(s.groupList))
	for i := range s.groupList {
		g := &s.groupList[i]
		sl := c.slots[g.name]
		if sl == nil {
			sl = &groupSlot{}
		}
		slots[g.name], g.slot = sl, sl
	}
	c.slots = slots
}

// forget empties every slot.
func (c *groupCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, sl := range c.slots {
		sl.entry.Store(nil)
	}
}

// get returns the members kept in sl, if they have not expired at now.
func (sl *groupSlot) get(now time.Time) (map[string]struct{}, bool) {
	e := sl.entry.Load()
	if e == nil || !now.Before(e.expires) {
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

// put keeps members in sl for the TTL from now, unless the cache forgot
// or was bound to other rules since gen was read: the lookup may predate
// what made the host forget.
func (c *groupCache) put(sl *groupSlot, members map[string]struct{}, gen uint64) {
	exp := c.clock.Now().Add(c.ttl)
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen {
		sl.entry.Store(&groupEntry{members: members, expires: exp})
	}
}
