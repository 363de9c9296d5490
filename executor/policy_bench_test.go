package executor

import (
	"context"
	"fmt"
	"testing"

	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store/memstore"
)

// benchPolicies are n enabled policies judging every activity start, all
// in scope and all passing, so each is evaluated (the worst case for a
// passing start). Their rules cycle through what hosts write: labels,
// the CAB approval, office hours, the release's inputs and group.
func benchPolicies(n int) []*release.Policy {
	rules := []string{
		`activity.labels.env != "prod" || approvedBy("cab")`,
		`between("00:00", "24:00", "Europe/Berlin") && !(weekday("Europe/Berlin") in ["Saturday", "Sunday"]) || true`,
		`release.group != "payments" || release.labels.tier == "1"`,
		`activity.type != "manual" || len(approvals) > 0 || true`,
		`!frozen() || activity.uses != "cd.deploy"`,
	}
	out := make([]*release.Policy, n)
	for i := range out {
		out[i] = &release.Policy{ID: release.PolicyID(fmt.Sprintf("p%03d", i)), Enabled: true,
			When: []release.PolicyPoint{release.PolicyActivityStart}, Scope: release.FreezeScope{All: true},
			Rule: rules[i%len(rules)], Message: "bench"}
	}
	return out
}

// BenchmarkPolicyJudge measures what one activity start pays for policies:
// judge over n enabled policies that all match the activity and all pass.
// policies=0 is the baseline (a store with no policies).
func BenchmarkPolicyJudge(b *testing.B) {
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			be := newBenchExecutor(b, 64, chain(100).process("bench"))
			defer be.stop()
			for _, p := range benchPolicies(n) {
				if _, err := be.ex.PutPolicy(context.Background(), &PutPolicyParams{Policy: p, By: By{Actor: "bench"}}); err != nil {
					b.Fatal(err)
				}
			}
			be.runRelease(b, "bench")
			page, err := be.st.ListReleases(context.Background(), nil)
			if err != nil || len(page.Releases) != 1 {
				b.Fatal(err)
			}
			rel, err := be.st.GetRelease(context.Background(), page.Releases[0].ID)
			if err != nil {
				b.Fatal(err)
			}
			p, err := be.ex.planFor(rel.Process)
			if err != nil {
				b.Fatal(err)
			}
			r := &run{e: be.ex, rel: rel, p: p, scope: &process.Scope{}} // keeps the evaluator, as a release's run does
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if pe := be.ex.judge(context.Background(), rel, p, nil, int32(i%100), r); pe != nil {
					b.Fatal(pe)
				}
			}
		})
	}
}

// BenchmarkReleaseWithPolicies runs whole releases of a chain of 100 no-op
// activities on memstore with n policies judging every activity start:
// the per-activity cost with policies against policies=0 in the same run.
func BenchmarkReleaseWithPolicies(b *testing.B) {
	for _, n := range []int{0, 10, 100} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			be := newBenchExecutorOn(b, memstore.New(nil), 64, chain(100).process("bench"))
			defer be.stop()
			for _, p := range benchPolicies(n) {
				if _, err := be.ex.PutPolicy(context.Background(), &PutPolicyParams{Policy: p, By: By{Actor: "bench"}}); err != nil {
					b.Fatal(err)
				}
			}
			be.runRelease(b, "bench")
			b.ReportAllocs()
			b.ResetTimer()
			m := startMeter()
			for i := 0; i < b.N; i++ {
				be.runRelease(b, "bench")
			}
			b.StopTimer()
			m.report(b, b.N*100)
		})
	}
}
