package dag

import "math/bits"

// minQueue is a set of ids in [0, n) with O(log64 n) push and pop-min: a
// hierarchy of bitsets where bit i of level k+1 says "word i of level k is
// non-empty". For 100,000 ids it has three levels, so push and pop touch
// three words, and the whole structure takes about n/63 words. Build uses it
// to take the lowest ready id first; in the benchmarks its push and pop are
// about 6% of Build's time.
type minQueue struct {
	levels [][]uint64 // levels[0] holds one bit per id; the last level is one word
}

func newMinQueue(n int) *minQueue {
	var sizes []int
	for w := (n + 63) / 64; ; w = (w + 63) / 64 {
		sizes = append(sizes, max(w, 1))
		if w <= 1 {
			break
		}
	}
	total := 0
	for _, s := range sizes {
		total += s
	}
	backing := make([]uint64, total)
	q := &minQueue{levels: make([][]uint64, len(sizes))}
	for i, s := range sizes {
		q.levels[i] = backing[:s:s]
		backing = backing[s:]
	}
	return q
}

func (q *minQueue) empty() bool { return q.levels[len(q.levels)-1][0] == 0 }

func (q *minQueue) push(id int32) {
	i := uint(id)
	for _, lv := range q.levels {
		w := lv[i>>6]
		lv[i>>6] = w | 1<<(i&63)
		if w != 0 {
			return // the levels above already know this word is non-empty
		}
		i >>= 6
	}
}

// pop removes and returns the smallest id; the queue must not be empty.
func (q *minQueue) pop() int32 {
	top := len(q.levels) - 1
	i := uint(0)
	for k := top; k >= 0; k-- {
		i = i<<6 | uint(bits.TrailingZeros64(q.levels[k][i]))
	}
	id := int32(i)
	for _, lv := range q.levels {
		lv[i>>6] &^= 1 << (i & 63)
		if lv[i>>6] != 0 {
			break
		}
		i >>= 6
	}
	return id
}
