package rbac

import (
	"context"
	"errors"
	"fmt"

	"github.com/batonhq/baton/executor"
)

// Verbs returns the verbs act.Actor holds over what act is about (its
// Kind and Verb are ignored), in the order of KnownVerbs: what a host's
// interface may offer that person on that release, activity, group or
// process. A verb is in the list exactly when Authorize would allow an
// action needing it. Groups are looked up as Authorize does, each only
// if it would add a verb; the error joins the lookups that failed (their
// verbs are left out).
func (a *Authorizer) Verbs(ctx context.Context, act *executor.Action) ([]executor.Verb, error) {
	if act == nil {
		return nil, nil
	}
	s := a.rules.Load()
	t := targetOf(act)
	collect := func(cs []*compiled) verbBits {
		var b verbBits
		for _, c := range cs {
			if c.scope.matches(&t) {
				b |= c.verbs
			}
		}
		return b
	}
	var have verbBits
	var errs []error
	if act.Actor == "" {
		have = collect(s.anonymous)
	} else {
		have = collect(s.persons[act.Actor]) | collect(s.authed)
		now := a.now()
		for i := range s.groupList {
			gb := &s.groupList[i]
			add := collect(gb.bindings) &^ have
			if add == 0 {
				continue
			}
			members, err := a.members(ctx, gb, now)
			if err != nil {
				errs = append(errs, fmt.Errorf("group:%s: %w", gb.name, err))
				continue
			}
			if _, ok := members[act.Actor]; ok {
				have |= add
			}
		}
	}
	var out []executor.Verb
	for _, v := range KnownVerbs() {
		if have&s.bits[v] != 0 {
			out = append(out, v)
		}
	}
	return out, errors.Join(errs...)
}
