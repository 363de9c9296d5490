package process_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/process"
)

// generate builds a process of n activities the way the benchmarks in
// BENCHMARKS.md describe: phases of 100 activities, each phase depending on
// the one before, about two dependencies per activity on recent activities
// (in its phase or the one before), and one activity in ten with a ${{ }}
// expression that reads an output of one of its dependencies.
func generate(n int) (*process.Process, [][]int) {
	rng := rand.New(rand.NewPCG(1, 2))
	const perPhase = 100
	p := &process.Process{
		ID:     "generated",
		Inputs: []process.InputSpec{{Name: "version", Default: "1.0.0"}},
	}
	deps := make([][]int, n) // the same graph for the Kahn baseline
	name := func(i int) (string, string) {
		return "p" + strconv.Itoa(i/perPhase), "a" + strconv.Itoa(i%perPhase)
	}
	for start := 0; start < n; start += perPhase {
		ph := process.Phase{ID: process.PhaseID("p" + strconv.Itoa(start/perPhase))}
		if start > 0 {
			ph.DependsOn = []process.PhaseID{process.PhaseID("p" + strconv.Itoa(start/perPhase-1))}
		}
		for i := start; i < min(start+perPhase, n); i++ {
			pn, an := name(i)
			a := process.Activity{ID: process.ActivityID(an), Uses: "ci.pipeline", Outputs: []string{"out"},
				With: map[string]any{"target": "prod"}}
			seen := map[int]bool{}
			for k := 0; k < 2 && i > 0; k++ {
				lo := max(0, start-perPhase)
				if i-lo <= 0 {
					break
				}
				d := lo + rng.IntN(i-lo)
				if d/perPhase < start/perPhase-1 || seen[d] {
					continue
				}
				seen[d] = true
				deps[i] = append(deps[i], d)
				dp, da := name(d)
				if dp == pn {
					a.DependsOn = append(a.DependsOn, da)
				} else {
					a.DependsOn = append(a.DependsOn, dp+"."+da)
				}
			}
			if i%10 == 0 {
				if len(deps[i]) > 0 {
					dp, da := name(deps[i][0])
					a.With["ref"] = "${{ phases." + dp + ".activities." + da + ".outputs.out }}"
				} else {
					a.With["ref"] = "v${{ inputs.version }}"
				}
			}
			ph.Activities = append(ph.Activities, a)
		}
		p.Phases = append(p.Phases, ph)
	}
	return p, deps
}

var sizes = []int{100, 10_000, 100_000}

func TestGeneratedProcessesAreValid(t *testing.T) {
	p, _ := generate(1000)
	c, err := process.Compile(p)
	require.NoError(t, err)
	require.Len(t, c.Activities(), 1000)
}

func BenchmarkDecode(b *testing.B) {
	for _, n := range sizes[:2] {
		p, _ := generate(n)
		js, err := json.Marshal(p)
		require.NoError(b, err)
		ym, err := process.EncodeYAML(p)
		require.NoError(b, err)
		parser := process.Parser{MaxBytes: 1 << 30}
		b.Run(fmt.Sprintf("YAML/activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(ym)))
			cpu := processCPU()
			for b.Loop() {
				if _, err := parser.Decode(ym); err != nil {
					b.Fatal(err)
				}
			}
			reportPerActivity(b, n, processCPU()-cpu)
		})
		b.Run(fmt.Sprintf("JSON/activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(js)))
			cpu := processCPU()
			for b.Loop() {
				if _, err := parser.Decode(js); err != nil {
					b.Fatal(err)
				}
			}
			reportPerActivity(b, n, processCPU()-cpu)
		})
	}
}

func BenchmarkValidateCompile(b *testing.B) {
	for _, n := range sizes {
		p, _ := generate(n)
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				if _, err := process.Compile(p); err != nil {
					b.Fatal(err)
				}
			}
			reportPerActivity(b, n, processCPU()-cpu)
		})
	}
}

// BenchmarkBaselineKahn is the floor: a plain Kahn topological sort over
// slice adjacency of the same graph, with nothing else.
func BenchmarkBaselineKahn(b *testing.B) {
	for _, n := range sizes {
		_, deps := generate(n)
		b.Run(fmt.Sprintf("activities=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU()
			for b.Loop() {
				succ := make([][]int, n)
				indeg := make([]int, n)
				for i, ds := range deps {
					for _, d := range ds {
						succ[d] = append(succ[d], i)
						indeg[i]++
					}
				}
				queue := make([]int, 0, n)
				for i := range indeg {
					if indeg[i] == 0 {
						queue = append(queue, i)
					}
				}
				for k := 0; k < len(queue); k++ {
					for _, s := range succ[queue[k]] {
						if indeg[s]--; indeg[s] == 0 {
							queue = append(queue, s)
						}
					}
				}
				if len(queue) != n {
					b.Fatal("cycle")
				}
			}
			reportPerActivity(b, n, processCPU()-cpu)
		})
	}
}

// reportPerActivity reports wall and process CPU time per activity, and CPU
// time per operation: on a shared machine the CPU figures are the steadier.
func reportPerActivity(b *testing.B, n int, cpu time.Duration) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/activity")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(n), "cpu-ns/activity")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e6, "cpu-ms/op")
}
