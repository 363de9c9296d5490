package dag

// Reaches reports whether to transitively depends on from: whether there is a
// path from -> ... -> to of at least one edge, through any nodes, virtual or
// not. Reaches(n, n) is true only if n lies on a cycle.
//
// Reaches is not safe for concurrent use: it reuses one scratch Reacher so
// that it does not allocate after the first call. Goroutines that query
// concurrently should each use their own NewReacher.
func (g *Graph) Reaches(from, to int) bool {
	if g.reacher == nil {
		g.reacher = g.NewReacher()
	}
	return g.reacher.Reaches(from, to)
}

// Reacher answers reachability queries on one Graph with reusable scratch
// memory: after its first query it does not allocate. A Reacher is not safe
// for concurrent use, but any number of Reachers may query the same Graph
// concurrently.
type Reacher struct {
	g      *Graph
	stamp  []uint32 // per node: fwd or bwd of the current query, or older
	epoch  uint32
	fw, bw []int32 // frontiers
	next   []int32
}

// NewReacher returns a Reacher for g. Its scratch memory is allocated on the
// first query.
func (g *Graph) NewReacher() *Reacher { return &Reacher{g: g} }

// Reaches reports whether to transitively depends on from; see Graph.Reaches.
//
// The common cases are cheap: a direct edge is a binary search in the
// shorter of the two adjacency lists, and in an acyclic graph a from placed
// after to in the topological order answers false at once. Otherwise it runs
// a bidirectional breadth-first search, always expanding the smaller
// frontier and never stepping onto a node whose topological position rules
// it out.
func (r *Reacher) Reaches(from, to int) bool {
	g := r.g
	if from == to {
		if g.order != nil {
			_ = g.virtual[from] // range check
			return false
		}
	} else {
		succ, pred := g.Succs(from), g.Preds(to)
		if len(succ) <= len(pred) {
			if contains(succ, int32(to)) {
				return true
			}
		} else if contains(pred, int32(from)) {
			return true
		}
		if g.pos != nil && g.pos[from] > g.pos[to] {
			return false
		}
	}
	if r.stamp == nil {
		r.stamp = make([]uint32, g.Len())
	}
	if r.epoch >= ^uint32(0)-2 {
		clear(r.stamp)
		r.epoch = 0
	}
	r.epoch += 2
	fwd, bwd := r.epoch, r.epoch+1

	// Seed the forward frontier with from's successors rather than from
	// itself, so that from == to on a cycle needs a real path.
	pos := g.pos
	lim := int32(0)
	if pos != nil {
		lim = pos[to]
	}
	r.stamp[to] = bwd
	fw := r.fw[:0]
	for _, s := range g.Succs(from) {
		if r.stamp[s] == bwd {
			return true
		}
		if pos != nil && pos[s] >= lim {
			continue
		}
		r.stamp[s] = fwd
		fw = append(fw, s)
	}
	bw := append(r.bw[:0], int32(to))
	lo := int32(0)
	if pos != nil {
		lo = pos[from]
	}
	next := r.next[:0]
	found := false
	for len(fw) > 0 && len(bw) > 0 && !found {
		next = next[:0]
		if len(fw) <= len(bw) {
			for _, u := range fw {
				for _, s := range g.Succs(int(u)) {
					st := r.stamp[s]
					if st == bwd {
						found = true
						break
					}
					if st == fwd || (pos != nil && pos[s] >= lim) {
						continue
					}
					r.stamp[s] = fwd
					next = append(next, s)
				}
				if found {
					break
				}
			}
			fw, next = next, fw
		} else {
			for _, u := range bw {
				for _, p := range g.Preds(int(u)) {
					st := r.stamp[p]
					if st == fwd {
						found = true
						break
					}
					if st == bwd || (pos != nil && pos[p] <= lo && int(p) != from) {
						continue
					}
					if int(p) == from {
						// from's successors are all in the forward set: a
						// predecessor equal to from closes the path.
						found = true
						break
					}
					r.stamp[p] = bwd
					next = append(next, p)
				}
				if found {
					break
				}
			}
			bw, next = next, bw
		}
	}
	r.fw, r.bw, r.next = fw, bw, next
	return found
}

// contains reports whether the ascending list xs holds x.
func contains(xs []int32, x int32) bool {
	lo, hi := 0, len(xs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if xs[m] < x {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(xs) && xs[lo] == x
}
