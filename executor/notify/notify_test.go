package notify_test

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/stretchr/testify/require"

	batonhttp "github.com/batonhq/baton/adapters/http"
	"github.com/batonhq/baton/executor/notify"
	"github.com/batonhq/baton/process"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
	"github.com/batonhq/baton/store/memstore"
)

func TestRulesChooseByTypeProcessGroupAndLabel(t *testing.T) {
	type made struct {
		created, started, failed string // keys of the release's events
	}
	tests := []struct {
		name string
		rule notify.Rule
		want func(a, b, c made) []string
	}{
		{"by type", notify.Rule{Types: []notify.Type{notify.ReleaseFailed}},
			func(a, b, c made) []string { return []string{a.failed, b.failed, c.failed} }},
		{"by process", notify.Rule{Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}, Processes: []process.ID{"web"}},
			func(a, b, c made) []string { return []string{b.created, b.started} }},
		{"by group", notify.Rule{Types: []notify.Type{notify.ReleaseStarted}, Groups: []release.GroupID{"nightly"}},
			func(a, b, c made) []string { return []string{c.started} }},
		{"by label", notify.Rule{Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseFailed}, Labels: map[string]string{"team": "mobile"}},
			func(a, b, c made) []string { return []string{a.created, a.failed} }},
		{"all filters must match", notify.Rule{Types: []notify.Type{notify.ReleaseCreated}, Processes: []process.ID{"web"}, Labels: map[string]string{"team": "mobile"}},
			func(a, b, c made) []string { return []string{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newScript(t)
			var ms [3]made
			for i, sp := range []spec{
				{name: "a", labels: map[string]string{"team": "mobile"}},
				{name: "b", process: "web", at: t0.Add(time.Minute)},
				{name: "c", group: "nightly", at: t0.Add(2 * time.Minute)},
			} {
				r := s.create(sp)
				started := s.append(r, t0, release.ReleaseStartedPayload{})
				done := s.append(r, t0, release.ReleaseFailedPayload{Error: "no"})
				key := func(seq int64) string { return fmt.Sprintf("%s/%d/r", r.ID, seq) }
				ms[i] = made{key(1), key(started[0].Seq), key(done[0].Seq)}
			}
			rec := &recorder{}
			rule := tc.rule
			rule.Name, rule.Notifier = "r", rec
			d := newDispatcher(t, s.st, clock.NewMock(), rule)
			require.Equal(t, 9, poll(t, d), "every event is read")
			want := tc.want(ms[0], ms[1], ms[2])
			require.ElementsMatch(t, want, rec.keys())
			require.Zero(t, poll(t, d), "nothing more")
		})
	}
}

func TestEveryEventTypeIsNotifiedWithItsText(t *testing.T) {
	s := newScript(t)
	r := s.create(spec{name: "mobile"})
	s.toApproval(r, t0)
	s.append(r, t0, release.ActivityFailedPayload{Activity: "qa.signoff", Error: "rejected"},
		release.ActivityHeldPayload{Activity: "qa.signoff", Error: "rejected"})
	s.append(r, t0, release.PhaseFailedPayload{Phase: "qa"}, release.ReleaseFailedPayload{Error: "qa failed"})
	rec := &recorder{}
	d := newDispatcher(t, s.st, clock.NewMock(), notify.Rule{Name: "all", Notifier: rec, Types: notify.Types()})
	poll(t, d)
	var texts []string
	for _, m := range rec.msgs {
		texts = append(texts, fmt.Sprintf("%s: %s", m.Type, m.Text))
	}
	require.Equal(t, []string{
		`release-created: release "mobile" 1.0 created by alice`,
		`release-started: release "mobile" 1.0 started`,
		`phase-started: release "mobile" 1.0: phase build started`,
		`phase-ended: release "mobile" 1.0: phase build succeeded`,
		`phase-started: release "mobile" 1.0: phase qa started`,
		`waiting-for-person: release "mobile": activity qa.regression waits for task run-suite from carol, group:qa`,
		`waiting-for-person: release "mobile": activity qa.signoff waits for 1 approval(s) from group:qa-leads`,
		`activity-on-hold: release "mobile" 1.0: activity qa.signoff is on hold: rejected`,
		`phase-ended: release "mobile" 1.0: phase qa failed`,
		`release-failed: release "mobile" 1.0 failed: qa failed`,
	}, texts)
	// Keys are release/seq/rule: unique, and stable.
	seen := map[string]bool{}
	for _, m := range rec.msgs {
		require.False(t, seen[m.Key], m.Key)
		seen[m.Key] = true
		require.Equal(t, fmt.Sprintf("%s/%d/all", r.ID, m.Event.Seq), m.Key)
	}
}

func TestWaitingForAPersonTellsTheApproversWithGroupsResolved(t *testing.T) {
	s := newScript(t)
	r := s.create(spec{name: "mobile"})
	s.toApproval(r, t0)
	rec := &recorder{}
	d := newDispatcher(t, s.st, clock.NewMock(), notify.Rule{Name: "people", Notifier: rec,
		Types: []notify.Type{notify.WaitingForPerson}, Recipients: []string{"#releases", "group:qa-leads"}})
	poll(t, d)
	waits := rec.byType(notify.WaitingForPerson)
	require.Len(t, waits, 2)
	require.Equal(t, release.ActivityKey("qa.signoff"), waits[1].Activity)
	require.Equal(t, []string{"#releases", "frank"}, waits[1].Recipients, "rule recipients, then approvers; frank once")
	require.Equal(t, release.WaitApproval, waits[1].Wait.Kind)
}

func TestWaitingForATaskTellsItsAssignees(t *testing.T) {
	s := newScript(t)
	r := s.create(spec{name: "mobile"})
	s.append(r, t0, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"},
		release.ActivityStartedPayload{Activity: "build.compile"}, release.ActivitySucceededPayload{Activity: "build.compile"},
		release.PhaseSucceededPayload{Phase: "build"}, release.PhaseStartedPayload{Phase: "qa"},
		release.ActivityStartedPayload{Activity: "qa.regression"}, release.ActivityWaitingPayload{Activity: "qa.regression"})
	rec := &recorder{}
	d := newDispatcher(t, s.st, clock.NewMock(), notify.Rule{Name: "people", Notifier: rec, Types: []notify.Type{notify.WaitingForPerson}})
	poll(t, d)
	waits := rec.byType(notify.WaitingForPerson)
	require.Len(t, waits, 1)
	require.Equal(t, []string{"carol", "dave", "erin"}, waits[0].Recipients)
	require.Equal(t, `release "mobile": activity qa.regression waits for task run-suite from carol, group:qa`, waits[0].Text)
}

func TestACursorIsStoredAndANewDispatcherResumesFromIt(t *testing.T) {
	s := newScript(t)
	r := s.create(spec{name: "a"})
	rec := &recorder{}
	rule := notify.Rule{Name: "r", Notifier: rec, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}}
	poll(t, newDispatcher(t, s.st, clock.NewMock(), rule))
	s.append(r, t0, release.ReleaseStartedPayload{})
	c, err := s.st.GetCursor(context.Background(), "notify")
	require.NoError(t, err)
	require.Equal(t, int64(1), c.Revision)
	require.Equal(t, 1, poll(t, newDispatcher(t, s.st, clock.NewMock(), rule)), "only what came after")
	require.Equal(t, []string{fmt.Sprintf("%s/1/r", r.ID), fmt.Sprintf("%s/2/r", r.ID)}, rec.keys())
}

func TestANewConsumerStartsAtTheEndUnlessFromStart(t *testing.T) {
	s := newScript(t)
	r := s.create(spec{name: "a"})
	rec := &recorder{}
	d, err := notify.New(s.st, &notify.Config{Consumer: "late-comer", Rules: []notify.Rule{{Name: "r", Notifier: rec, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}}}})
	require.NoError(t, err)
	poll(t, d)
	require.Empty(t, rec.keys(), "history is not re-told")
	s.append(r, t0, release.ReleaseStartedPayload{})
	poll(t, d)
	require.Equal(t, []string{fmt.Sprintf("%s/2/r", r.ID)}, rec.keys())
}

func TestASignedWebhookThatFailsIsRetriedUntilItRecovers(t *testing.T) {
	key := []byte("hook-key")
	clk := clock.NewMock()
	clk.Set(t0)
	rc := newReceiver(t, 2)
	rc.check = func(r *nethttp.Request) error { return batonhttp.VerifyRequest(r, key, 1<<20, clk.Now(), time.Minute) }
	hook, err := notify.NewWebhook(rc.URL, &notify.WebhookConfig{SigningKey: key, Clock: clk})
	require.NoError(t, err)
	s := newScript(t)
	r := s.create(spec{name: "a"})
	s.append(r, t0, release.ReleaseStartedPayload{})
	d, err := notify.New(s.st, &notify.Config{FromStart: true, Clock: clk, Backoff: time.Second, Rules: []notify.Rule{
		{Name: "hook", Notifier: hook, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}}}})
	require.NoError(t, err)

	for range 2 {
		_, err := d.Poll(context.Background())
		require.ErrorContains(t, err, "503")
	}
	_, err = s.st.GetCursor(context.Background(), "notify")
	require.ErrorIs(t, err, store.ErrNotFound, "the cursor did not move past the undelivered event")
	require.Equal(t, 2, poll(t, d))
	keys, bodies := rc.got()
	require.Equal(t, []string{fmt.Sprintf("%s/1/hook", r.ID), fmt.Sprintf("%s/2/hook", r.ID)}, keys)
	require.Nil(t, bodies[0]["event"].(map[string]any)["payload"], "release.created's payload (the whole process) is left out")
	require.Equal(t, "release-started", bodies[1]["type"])
	require.Equal(t, keys[1], bodies[1]["key"])
	require.Equal(t, string(r.ID), bodies[1]["release"].(map[string]any)["id"])
}

func TestRunBacksOffAfterAFailureAndDeliversOnceTheReceiverRecovers(t *testing.T) {
	clk := clock.NewMock()
	rc := newReceiver(t, 3)
	hook, err := notify.NewWebhook(rc.URL, nil)
	require.NoError(t, err)
	s := newScript(t)
	s.create(spec{name: "a"})
	d, err := notify.New(s.st, &notify.Config{FromStart: true, Clock: clk, Backoff: time.Second, MaxBackoff: 4 * time.Second, Logger: quiet,
		Rules: []notify.Rule{{Name: "hook", Notifier: hook, Types: []notify.Type{notify.ReleaseCreated}}}})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if keys, _ := rc.got(); len(keys) == 1 {
			break
		}
		require.True(t, time.Now().Before(deadline), "not delivered")
		clk.Add(time.Second) // fires Run's backoff timers: 1s, 2s, 4s
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
}

func TestAPermanentRefusalIsDroppedAndTheFeedGoesOn(t *testing.T) {
	calls := 0
	refuse := notify.NotifierFunc(func(_ context.Context, m *notify.Message) error {
		calls++
		if m.Type == notify.ReleaseCreated {
			return fmt.Errorf("%w: 400", notify.ErrPermanent)
		}
		return nil
	})
	s := newScript(t)
	r := s.create(spec{name: "a"})
	s.append(r, t0, release.ReleaseStartedPayload{})
	d := newDispatcher(t, s.st, clock.NewMock(), notify.Rule{Name: "r", Notifier: refuse, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}})
	require.Equal(t, 2, poll(t, d))
	require.Equal(t, 2, calls)
}

func TestAReceiverThatRefusesTheRequestIsAPermanentError(t *testing.T) {
	rc := newReceiver(t, 0)
	rc.check = func(*nethttp.Request) error { return errors.New("who are you") }
	hook, err := notify.NewWebhook(rc.URL, nil)
	require.NoError(t, err)
	err = hook.Notify(context.Background(), &notify.Message{Key: "k"})
	require.ErrorIs(t, err, notify.ErrPermanent)
	require.ErrorContains(t, err, "401")
}

func TestSlackPostsTheTextWithALinkAndMentions(t *testing.T) {
	rc := newReceiver(t, 0)
	sl, err := notify.NewSlack(rc.URL, &notify.SlackConfig{LinkTemplate: "https://baton.example/r/{release}#{activity}"})
	require.NoError(t, err)
	m := &notify.Message{Key: "k", Text: "release \"a<b>\" waits", Recipients: []string{"frank", "group:qa"}, Activity: "qa.signoff",
		Release: release.Summary{ID: "r1"}}
	require.NoError(t, sl.Notify(context.Background(), m))
	keys, bodies := rc.got()
	require.Equal(t, []string{"k"}, keys)
	require.Equal(t, `<https://baton.example/r/r1#qa.signoff|release "a&lt;b&gt;" waits> (@frank @group:qa)`, bodies[0]["text"])
}

func TestRemindersAndEscalationFollowTheClockAndStopWhenTheWaitEnds(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	r := s.create(spec{name: "mobile"})
	s.toApproval(r, t0)
	rec := &recorder{}
	d := newDispatcher(t, s.st, clk, notify.Rule{Name: "gate", Notifier: rec, Types: []notify.Type{notify.WaitingForPerson},
		Remind: &notify.Remind{After: time.Hour, Every: 2 * time.Hour, EscalateAfter: 4 * time.Hour, EscalateTo: []string{"group:managers"}}})
	poll(t, d)
	require.Len(t, rec.byType(notify.WaitingForPerson), 2)
	clk.Add(59 * time.Minute)
	poll(t, d)
	require.Empty(t, rec.byType(notify.Reminder), "not yet")
	clk.Add(time.Minute)
	poll(t, d)
	rem := rec.byType(notify.Reminder)
	require.Len(t, rem, 1, "qa.signoff waits an hour: one reminder (qa.regression no longer waits)")
	require.Equal(t, []string{"frank"}, rem[0].Recipients)
	require.Equal(t, fmt.Sprintf("%s/qa.signoff@%d/gate/reminder-1", r.ID, t0.UnixNano()), rem[0].Key)
	clk.Add(2 * time.Hour)
	poll(t, d)
	require.Len(t, rec.byType(notify.Reminder), 2)
	require.Empty(t, rec.byType(notify.Escalation))
	clk.Add(time.Hour)
	poll(t, d)
	esc := rec.byType(notify.Escalation)
	require.Len(t, esc, 1)
	require.Equal(t, []string{"grace"}, esc[0].Recipients)
	require.True(t, strings.HasPrefix(esc[0].Text, `escalation: release "mobile": activity qa.signoff waits for 1 approval(s) from group:qa-leads (waiting 4h0m0s)`), esc[0].Text)

	s.append(r, clk.Now(), release.ApprovalGrantedPayload{Activity: "qa.signoff"}, release.ActivitySucceededPayload{Activity: "qa.signoff"})
	clk.Add(10 * time.Hour)
	poll(t, d)
	require.Len(t, rec.byType(notify.Reminder), 2, "the wait ended: no more reminders")
	require.Len(t, rec.byType(notify.Escalation), 1)
}

func TestARestartedDispatcherRemindsOfWaitsThatBeganBeforeItsCursor(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	r := s.create(spec{name: "mobile"})
	s.toApproval(r, t0)
	rule := notify.Rule{Name: "gate", Notifier: &recorder{}, Types: []notify.Type{notify.WaitingForPerson}, Remind: &notify.Remind{After: time.Hour}}
	poll(t, newDispatcher(t, s.st, clk, rule))
	rec := &recorder{}
	rule.Notifier = rec
	clk.Add(2 * time.Hour)
	poll(t, newDispatcher(t, s.st, clk, rule))
	rem := rec.byType(notify.Reminder)
	require.Len(t, rem, 1)
	require.Equal(t, fmt.Sprintf("%s/qa.signoff@%d/gate/reminder-1", r.ID, t0.UnixNano()), rem[0].Key, "the same key as before the restart")
}

func TestRunningLateIsToldOncePerHealthStatus(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	r := s.create(spec{name: "mobile", end: t0.Add(2 * time.Hour)})
	s.append(r, t0, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"}, release.ActivityStartedPayload{Activity: "build.compile"})
	rec := &recorder{}
	d := newDispatcher(t, s.st, clk, notify.Rule{Name: "late", Notifier: rec, Types: []notify.Type{notify.RunningLate}, Recipients: []string{"#releases"}})
	poll(t, d)
	require.Empty(t, rec.keys(), "on track")
	clk.Add(90 * time.Minute) // compile is overdue (1h expected): at risk
	poll(t, d)
	clk.Add(time.Minute)
	poll(t, d)
	require.Equal(t, []string{fmt.Sprintf("%s/at-risk/late", r.ID)}, rec.keys(), "told once")
	clk.Add(time.Hour) // past the expected end
	poll(t, d)
	require.Equal(t, []string{fmt.Sprintf("%s/at-risk/late", r.ID), fmt.Sprintf("%s/late/late", r.ID)}, rec.keys())
	late := rec.byType(notify.RunningLate)[1]
	require.Equal(t, release.Late, late.Health.Status)
	require.Equal(t, []string{"#releases"}, late.Recipients)
	require.Contains(t, late.Text, `release "mobile" is late`)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	n := &recorder{}
	tests := []struct {
		name string
		cfg  *notify.Config
		want string
	}{
		{"no rules", &notify.Config{}, "Rules"},
		{"no name", &notify.Config{Rules: []notify.Rule{{Notifier: n, Types: []notify.Type{notify.ReleaseCreated}}}}, "Rules[0].Name"},
		{"slash", &notify.Config{Rules: []notify.Rule{{Name: "a/b", Notifier: n, Types: []notify.Type{notify.ReleaseCreated}}}}, "must not contain /"},
		{"twice", &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: n, Types: []notify.Type{notify.ReleaseCreated}}, {Name: "a", Notifier: n, Types: []notify.Type{notify.ReleaseCreated}}}}, "Rules[1].Name"},
		{"no notifier", &notify.Config{Rules: []notify.Rule{{Name: "a", Types: []notify.Type{notify.ReleaseCreated}}}}, "Notifier"},
		{"no types", &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: n}}}, "Types"},
		{"unknown type", &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: n, Types: []notify.Type{"release-exploded"}}}}, "Types[0]"},
		{"remind of nothing", &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: n, Types: []notify.Type{notify.ReleaseFailed}, Remind: &notify.Remind{After: time.Hour}}}}, "Remind"},
		{"escalate to no one", &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: n, Types: []notify.Type{notify.WaitingForPerson}, Remind: &notify.Remind{EscalateAfter: time.Hour}}}}, "EscalateTo"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.New(memstore.New(nil), tc.cfg)
			require.ErrorIs(t, err, notify.ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := notify.NewWebhook("ftp://x", nil)
	require.ErrorIs(t, err, notify.ErrInvalid)
	_, err = notify.NewSlack("", nil)
	require.ErrorIs(t, err, notify.ErrInvalid)
}

// noFeed is a store wrapper that hides the feed on purpose.
type noFeed struct{ store.Store }

func (noFeed) Unwrap() store.Store { return nil }

func TestAStoreWithoutAFeedIsRefused(t *testing.T) {
	_, err := notify.New(noFeed{memstore.New(nil)}, &notify.Config{Rules: []notify.Rule{{Name: "a", Notifier: &recorder{}, Types: []notify.Type{notify.ReleaseCreated}}}})
	require.ErrorIs(t, err, notify.ErrNoFeed)
}

// A receiver that redirects does not get the signed message sent on to
// another host: the redirect is a permanent refusal.
func TestAWebhookFollowsNoRedirect(t *testing.T) {
	other := newReceiver(t, 0)
	redirect := httptest.NewServer(nethttp.RedirectHandler(other.URL, nethttp.StatusTemporaryRedirect))
	t.Cleanup(redirect.Close)
	hook, err := notify.NewWebhook(redirect.URL, &notify.WebhookConfig{SigningKey: []byte("k")})
	require.NoError(t, err)
	err = hook.Notify(context.Background(), &notify.Message{Key: "k"})
	require.ErrorIs(t, err, notify.ErrPermanent)
	require.ErrorContains(t, err, "307")
	sl, err := notify.NewSlack(redirect.URL, nil)
	require.NoError(t, err)
	require.ErrorIs(t, sl.Notify(context.Background(), &notify.Message{Key: "k"}), notify.ErrPermanent)
	keys, _ := other.got()
	require.Empty(t, keys, "nothing reached the other host")
}

// Two instances of one consumer over a store with leases: one delivers,
// the other stands by, and takes over from the stored cursor once the
// first stops renewing. No message is delivered twice.
func TestInstancesOfOneConsumerTakeTurnsThroughTheLease(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	r := s.create(spec{name: "a"})
	rec := &recorder{}
	mk := func(instance string) *notify.Dispatcher {
		d, err := notify.New(s.st, &notify.Config{FromStart: true, Clock: clk, Logger: quiet, Instance: instance, LeaseTTL: 30 * time.Second,
			Rules: []notify.Rule{{Name: "r", Notifier: rec, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted, notify.PhaseStarted}}}})
		require.NoError(t, err)
		return d
	}
	one, two := mk("one"), mk("two")
	require.Equal(t, 1, poll(t, one))
	require.Zero(t, poll(t, two), "two stands by")
	s.append(r, t0, release.ReleaseStartedPayload{})
	require.Zero(t, poll(t, two))
	clk.Add(20 * time.Second)
	require.Equal(t, 1, poll(t, one), "one renews and delivers")
	s.append(r, t0, release.PhaseStartedPayload{Phase: "build"})
	clk.Add(29 * time.Second)
	require.Zero(t, poll(t, two), "one's lease, renewed 29s ago, still holds")
	clk.Add(2 * time.Second)
	require.Equal(t, 1, poll(t, two), "one stopped: two takes over from the stored cursor")
	require.Equal(t, []string{fmt.Sprintf("%s/1/r", r.ID), fmt.Sprintf("%s/2/r", r.ID), fmt.Sprintf("%s/3/r", r.ID)}, rec.keys(), "each once")
	require.Zero(t, poll(t, one), "one, back, stands by")
}

// Run gives its lease up when it stops, so another instance takes over at
// once.
func TestRunReleasesTheLeaseWhenItStops(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	s.create(spec{name: "a"})
	rec := &recorder{}
	mk := func(instance string) *notify.Dispatcher {
		d, err := notify.New(s.st, &notify.Config{FromStart: true, Clock: clk, Logger: quiet, Instance: instance,
			Rules: []notify.Rule{{Name: "r", Notifier: rec, Types: []notify.Type{notify.ReleaseCreated, notify.ReleaseStarted}}}})
		require.NoError(t, err)
		return d
	}
	one := mk("one")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- one.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for len(rec.keys()) == 0 {
		require.True(t, time.Now().Before(deadline))
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	_, err := s.st.RenewLease(context.Background(), &store.LeaseParams{Key: "notify/notify", Owner: "one", Now: clk.Now(), TTL: time.Minute})
	require.ErrorIs(t, err, store.ErrNotFound, "released")
	two := mk("two")
	require.Zero(t, poll(t, two), "takes over at once; nothing new")
	r2 := s.create(spec{name: "b", at: t0.Add(time.Minute)})
	require.Equal(t, 1, poll(t, two))
	require.Equal(t, fmt.Sprintf("%s/1/r", r2.ID), rec.keys()[1])
}

// An event with two rules, the second failing: the retry sends only the
// second; the first is not told twice.
func TestARetryResendsOnlyTheMessagesThatFailed(t *testing.T) {
	s := newScript(t)
	s.create(spec{name: "a"})
	ok := &recorder{}
	failing := true
	flaky := notify.NotifierFunc(func(_ context.Context, m *notify.Message) error {
		if failing {
			return errors.New("503")
		}
		return ok.Notify(context.Background(), m)
	})
	d := newDispatcher(t, s.st, clock.NewMock(),
		notify.Rule{Name: "first", Notifier: ok, Types: []notify.Type{notify.ReleaseCreated}},
		notify.Rule{Name: "second", Notifier: flaky, Types: []notify.Type{notify.ReleaseCreated}})
	_, err := d.Poll(context.Background())
	require.ErrorContains(t, err, "503")
	failing = false
	require.Equal(t, 1, poll(t, d))
	keys := ok.keys()
	require.Len(t, keys, 2)
	require.True(t, strings.HasSuffix(keys[0], "/first") && strings.HasSuffix(keys[1], "/second"), "%v", keys)
}

// countingStore counts the releases loaded.
type countingStore struct {
	testStore
	mu    sync.Mutex
	loads map[release.ID]int
}

func (s *countingStore) GetRelease(ctx context.Context, id release.ID) (*release.Release, error) {
	s.mu.Lock()
	s.loads[id]++
	s.mu.Unlock()
	return s.testStore.GetRelease(ctx, id)
}

func (s *countingStore) took() map[release.ID]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.loads
	s.loads = map[release.ID]int{}
	return out
}

// The running-late check judges a release again only when an event was
// recorded for it or its health may have changed since (its recheck
// time passed), not every release at every tick.
func TestTheRunningLateCheckLoadsOnlyReleasesThatMayHaveChanged(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	later := s.create(spec{name: "later", at: t0, end: t0.Add(30 * 24 * time.Hour)})
	busy := s.create(spec{name: "busy", at: t0, end: t0.Add(30 * 24 * time.Hour)})
	s.append(busy, t0, release.ReleaseStartedPayload{}, release.PhaseStartedPayload{Phase: "build"}, release.ActivityStartedPayload{Activity: "build.compile"})
	cs := &countingStore{testStore: s.st, loads: map[release.ID]int{}}
	rec := &recorder{}
	d := newDispatcher(t, cs, clk, notify.Rule{Name: "late", Notifier: rec, Types: []notify.Type{notify.RunningLate}})
	poll(t, d)
	require.Equal(t, map[release.ID]int{later.ID: 1, busy.ID: 1}, cs.took(), "the first look judges both")
	for range 5 {
		clk.Add(time.Minute)
		poll(t, d)
	}
	require.Empty(t, cs.took(), "nothing changed: no release loaded")
	s.append(later, clk.Now(), release.CommentAddedPayload{Text: "hi"})
	clk.Add(time.Minute)
	poll(t, d)
	require.Equal(t, map[release.ID]int{later.ID: 1}, cs.took(), "the release with an event")
	require.Empty(t, rec.keys())
	clk.Set(t0.Add(time.Hour + time.Minute)) // compile (1h expected) is overdue: busy's recheck passed
	poll(t, d)
	require.Equal(t, map[release.ID]int{busy.ID: 1}, cs.took(), "the release whose recheck passed")
	require.Equal(t, []string{fmt.Sprintf("%s/at-risk/late", busy.ID)}, rec.keys())
	clk.Add(time.Minute)
	poll(t, d)
	require.Empty(t, cs.took(), "at risk until its expected end, late only after")
}

// A rule with a Viewer tells nothing of the releases the viewer refuses,
// whatever the type (an event's message or a clock's reminder).
func TestARuleTellsOnlyWhatItsViewerMaySee(t *testing.T) {
	clk := clock.NewMock()
	clk.Set(t0)
	s := newScript(t)
	mine := s.create(spec{name: "mine", labels: map[string]string{"team": "a"}})
	theirs := s.create(spec{name: "theirs", labels: map[string]string{"team": "b"}})
	s.toApproval(mine, t0)
	s.toApproval(theirs, t0)
	var asked []release.ID
	teamA := func(_ context.Context, sum *release.Summary) error {
		asked = append(asked, sum.ID)
		if sum.Labels["team"] != "a" {
			return errors.New("team a only")
		}
		return nil
	}
	rec := &recorder{}
	d := newDispatcher(t, s.st, clk, notify.Rule{Name: "a", Notifier: rec, Viewer: teamA,
		Types: []notify.Type{notify.ReleaseCreated, notify.WaitingForPerson}, Remind: &notify.Remind{After: time.Hour}})
	poll(t, d)
	clk.Add(2 * time.Hour)
	poll(t, d)
	require.NotEmpty(t, rec.keys())
	for _, m := range rec.msgs {
		require.Equal(t, mine.ID, m.Release.ID, "%s: only team a's release", m.Key)
	}
	require.Len(t, rec.byType(notify.Reminder), 1, "team a's approval reminded")
	require.Contains(t, asked, theirs.ID, "the viewer was asked about the other release")
}
