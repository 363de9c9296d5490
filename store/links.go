package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/batonhq/baton/release"
)

// Limits on what a link index holds (CheckLink).
const (
	// MaxLinkURL is the longest link URL, in bytes.
	MaxLinkURL = 2048
	// MaxLinkText is the longest of a link's other text fields (Ref,
	// Title, Service, Environment, Version), in bytes.
	MaxLinkText = 512
	// MaxConflictClaims is the most claims a DeploymentConflict lists.
	MaxConflictClaims = 10
)

// LinkRecord is one link as a LinkStore indexes it: the link a link.added
// event recorded (release.Link, with Activity, Task, Actor and At set as
// release.Apply sets them) and the state of the activity it is on.
type LinkRecord struct {
	Release release.ID
	// Seq is the sequence number of the link.added event: with Release it
	// names the link.
	Seq  int64
	Link release.Link
	// Succeeded is true when the link is on an activity (or a task of
	// one) whose status is Succeeded: it ran to success and was not rolled
	// back. A link on the release itself never has it.
	Succeeded bool
	// SucceededAt is when that activity succeeded (its EndedAt); zero
	// unless Succeeded.
	SucceededAt time.Time
}

// FindLinksParams are the arguments of FindLinks. Exactly one of Ref and
// URL is set.
type FindLinksParams struct {
	// Kind, when set, selects links of that kind only. Defaults to "":
	// links of every kind.
	Kind release.LinkKind
	// Ref selects links whose Ref is exactly this (a commit SHA, "JIRA-7",
	// an artifact digest).
	Ref string
	// URL selects links whose URL is exactly this.
	URL    string
	Cursor string
	Limit  int
}

// LinkPage is one page of FindLinks, ListDeployments or
// ListDeploymentHistory.
type LinkPage struct {
	Links []LinkRecord
	Next  string
}

// ListDeploymentsParams are the arguments of ListDeployments. Zero fields
// do not filter.
type ListDeploymentsParams struct {
	Environment string
	Service     string
	Cursor      string
	Limit       int
}

// ListDeploymentHistoryParams are the arguments of ListDeploymentHistory.
type ListDeploymentHistoryParams struct {
	Environment string // required
	Service     string // required
	Cursor      string
	Limit       int
}

// ListDeploymentConflictsParams are the arguments of
// ListDeploymentConflicts. Zero fields do not filter.
type ListDeploymentConflictsParams struct {
	Environment string
	Service     string
	Cursor      string
	Limit       int
}

// DeploymentConflict is one deployment (a version of a service in an
// environment) that more than one release claims to have made.
type DeploymentConflict struct {
	Environment string
	Service     string
	Version     string
	// Releases is how many releases claim it: two or more.
	Releases int
	// Claims are the claiming links, one per release (its first), ordered
	// by (Release, Seq); at most MaxConflictClaims.
	Claims []LinkRecord
}

// ConflictPage is one page of ListDeploymentConflicts.
type ConflictPage struct {
	Conflicts []DeploymentConflict
	Next      string
}

// LinkStore is an optional capability: a store that indexes the links of
// its releases (link.added events) as it stores them, so that the
// questions auditors ask are answered from an index, not by reading every
// release: which releases carried a commit, an artifact or a ticket; what
// version of each service runs in each environment, and since when; which
// deployment more than one release claims. Find it by type assertion
// (or Find). Without it an executor answers none of these (its link
// queries return ErrNoLinkStore of package executor); links are still
// recorded in the events.
//
// The index is a cache of the events, kept in the same atomic step as
// CreateRelease and AppendEvents: a link is indexed when its link.added
// event is stored, and its Succeeded state changes when the success or
// rollback of its activity is stored (LinkChangesOf computes both). Those
// two methods refuse, with ErrInvalid and nothing written, events that add
// a link CheckLink refuses.
//
// Deployments are the links of kind deployment whose Succeeded is set:
// a deployment link on the release itself, or on an activity that failed,
// is still running, or was rolled back, deploys nothing. The deployment of
// a service in an environment "now" is the one whose activity succeeded
// last (ties broken by release, then sequence number, the greater wins):
// when two releases deploy the same service to the same environment, the
// later success is what runs; when it is rolled back, the one before it
// is current again.
//
// Every method pages as the List methods do (Cursor, Limit, Next) and
// returns values the caller owns.
type LinkStore interface {
	// FindLinks returns the links whose Ref (or URL) is p.Ref (or p.URL),
	// of p.Kind when set, ordered by (Release, Seq): the releases that
	// carried a commit, an artifact, a ticket. ErrInvalid when neither or
	// both of Ref and URL are set. No match gives an empty page.
	FindLinks(ctx context.Context, p *FindLinksParams) (*LinkPage, error)
	// ListDeployments returns the deployment current now (see above) of
	// each (environment, service) with a succeeded deployment, ordered by
	// (Environment, Service), filtered by p's fields when set.
	ListDeployments(ctx context.Context, p *ListDeploymentsParams) (*LinkPage, error)
	// ListDeploymentHistory returns the succeeded deployments of one
	// service in one environment, newest first (by SucceededAt, then
	// Release and Seq, descending): the first is ListDeployments'. A
	// rolled-back deployment is not listed. ErrInvalid when Environment or
	// Service is empty.
	ListDeploymentHistory(ctx context.Context, p *ListDeploymentHistoryParams) (*LinkPage, error)
	// ListDeploymentConflicts returns the deployments (environment,
	// service, version) that succeeded deployment links of two or more
	// releases claim, ordered by (Environment, Service, Version), filtered
	// by p's fields when set.
	ListDeploymentConflicts(ctx context.Context, p *ListDeploymentConflictsParams) (*ConflictPage, error)
}

// CheckLink reports whether a link index can hold l: its URL is at most
// MaxLinkURL bytes, its Ref, Title, Service, Environment and Version at
// most MaxLinkText, and all of them valid UTF-8 without control
// characters. The error names the field. It does not call l.Validate.
func CheckLink(l *release.Link) error {
	fields := [...]struct {
		name, v string
		max     int
	}{
		{"url", l.URL, MaxLinkURL}, {"ref", l.Ref, MaxLinkText}, {"title", l.Title, MaxLinkText},
		{"service", l.Service, MaxLinkText}, {"environment", l.Environment, MaxLinkText}, {"version", l.Version, MaxLinkText},
	}
	for _, f := range fields {
		if len(f.v) > f.max {
			return fmt.Errorf("link (%s): %s: %d bytes, more than %d", l.Kind, f.name, len(f.v), f.max)
		}
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("link (%s): %s: not valid UTF-8", l.Kind, f.name)
		}
		if strings.ContainsFunc(f.v, unicode.IsControl) {
			return fmt.Errorf("link (%s): %s %q: holds a control character", l.Kind, f.name, f.v)
		}
	}
	return nil
}

// ActivityLinkState is the state of the links on one activity of a
// release after an append (LinkChanges.States).
type ActivityLinkState struct {
	Activity    release.ActivityKey
	Succeeded   bool
	SucceededAt time.Time // zero unless Succeeded
}

// LinkChanges is what storing some events of a release changes in a link
// index: the links they add, and the new state of the links already
// indexed on activities whose success or rollback they record.
type LinkChanges struct {
	// Added are the new links, in event order, with their state as of
	// the release after the events.
	Added []LinkRecord
	// States are the activities whose indexed links (those added by
	// earlier events) take a new state, each once.
	States []ActivityLinkState
}

// Empty reports whether c changes nothing.
func (c *LinkChanges) Empty() bool { return len(c.Added) == 0 && len(c.States) == 0 }

// LinkChangesOf returns what storing events changes in the link index of
// r, the release after them (as CreateRelease and AppendEvents get both).
// It decodes only the payloads of link.added, activity.succeeded and
// activity.rolled-back events, so it costs next to nothing on an append
// that has none. An error (wrapping ErrInvalid) names an event whose link
// CheckLink refuses or whose payload does not decode.
func LinkChangesOf(r *release.Release, events []release.Event) (LinkChanges, error) {
	var c LinkChanges
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case release.KindLinkAdded:
			var p release.LinkAddedPayload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				return LinkChanges{}, fmt.Errorf("%w: event %d (%s): %w", ErrInvalid, e.Seq, e.Kind, err)
			}
			l := p.Link
			if err := CheckLink(&l); err != nil {
				return LinkChanges{}, fmt.Errorf("%w: event %d: %w", ErrInvalid, e.Seq, err)
			}
			l.Activity, l.Task, l.Actor, l.At = p.Activity, p.Task, e.Actor, e.Time
			rec := LinkRecord{Release: e.Release, Seq: e.Seq, Link: l}
			if p.Activity != "" {
				st := stateOf(r, p.Activity)
				rec.Succeeded, rec.SucceededAt = st.Succeeded, st.SucceededAt
			}
			c.Added = append(c.Added, rec)
		case release.KindActivitySucceeded, release.KindActivityRolledBack:
			k, ok := e.Activity()
			if !ok {
				return LinkChanges{}, fmt.Errorf("%w: event %d (%s): no activity", ErrInvalid, e.Seq, e.Kind)
			}
			if a := r.Activity(k); a == nil || len(a.Links) == 0 || hasState(c.States, k) {
				continue // no links to change (those added by these events get their state above)
			}
			c.States = append(c.States, stateOf(r, k))
		}
	}
	return c, nil
}

func hasState(states []ActivityLinkState, k release.ActivityKey) bool {
	for _, s := range states {
		if s.Activity == k {
			return true
		}
	}
	return false
}

// stateOf returns the link state of activity k of r.
func stateOf(r *release.Release, k release.ActivityKey) ActivityLinkState {
	st := ActivityLinkState{Activity: k}
	if a := r.Activity(k); a != nil && a.Status == release.ActivitySucceeded {
		st.Succeeded, st.SucceededAt = true, a.EndedAt
	}
	return st
}

// CheckFindLinks returns an error matching ErrInvalid when p cannot be
// answered: nil, or not exactly one of Ref and URL set.
func CheckFindLinks(p *FindLinksParams) error {
	if p == nil || (p.Ref == "") == (p.URL == "") {
		return fmt.Errorf("%w: find links: ref and url: set exactly one", ErrInvalid)
	}
	return nil
}
