package memstore

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/batonhq/baton/internal/linkcursor"
	"github.com/batonhq/baton/release"
	"github.com/batonhq/baton/store"
)

var _ store.LinkStore = (*Store)(nil)

// linkIndex is the Store's link index (store.LinkStore), kept by
// CreateRelease and AppendEvents with the release's mutex held. Its own
// mutex is taken after a release's, never before.
type linkIndex struct {
	mu        sync.RWMutex
	byRelease map[release.ID][]*store.LinkRecord // in Seq order
	byRef     map[string][]*store.LinkRecord
	byURL     map[string][]*store.LinkRecord
	// deployments are the deployment links by (environment, service),
	// whatever their state.
	deployments map[envService][]*store.LinkRecord
}

type envService struct{ env, service string }

// apply records c, the link changes of an append to release id.
func (x *linkIndex) apply(id release.ID, c *store.LinkChanges) {
	if c.Empty() {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byRelease == nil {
		x.byRelease, x.byRef, x.byURL = map[release.ID][]*store.LinkRecord{}, map[string][]*store.LinkRecord{}, map[string][]*store.LinkRecord{}
		x.deployments = map[envService][]*store.LinkRecord{}
	}
	for _, st := range c.States {
		for _, rec := range x.byRelease[id] {
			if rec.Link.Activity == st.Activity {
				rec.Succeeded, rec.SucceededAt = st.Succeeded, st.SucceededAt
			}
		}
	}
	for i := range c.Added {
		rec := new(store.LinkRecord)
		*rec = c.Added[i]
		x.byRelease[id] = append(x.byRelease[id], rec)
		if l := &rec.Link; l.Ref != "" {
			x.byRef[l.Ref] = append(x.byRef[l.Ref], rec)
		}
		if l := &rec.Link; l.URL != "" {
			x.byURL[l.URL] = append(x.byURL[l.URL], rec)
		}
		if l := &rec.Link; l.Kind == release.LinkDeployment {
			k := envService{l.Environment, l.Service}
			x.deployments[k] = append(x.deployments[k], rec)
		}
	}
}

// byKey orders records by (Release, Seq).
func byKey(a, b *store.LinkRecord) int {
	return cmp.Or(cmp.Compare(a.Release, b.Release), cmp.Compare(a.Seq, b.Seq))
}

// newer orders deployments newest first: by SucceededAt, then Release and
// Seq, descending.
func newer(a, b *store.LinkRecord) int {
	return -cmp.Or(a.SucceededAt.Compare(b.SucceededAt), byKey(a, b))
}

func copies(recs []*store.LinkRecord) []store.LinkRecord {
	out := make([]store.LinkRecord, len(recs))
	for i, r := range recs {
		out[i] = *r
	}
	return out
}

// FindLinks implements store.LinkStore.
func (s *Store) FindLinks(ctx context.Context, p *store.FindLinksParams) (*store.LinkPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := store.CheckFindLinks(p); err != nil {
		return nil, err
	}
	var after store.LinkRecord
	ok, err := linkcursor.Decode(p.Cursor, linkcursor.KindFind, &after.Release, &after.Seq)
	if err != nil {
		return nil, errf(store.ErrInvalid, "find links: %v", err)
	}
	x := &s.links
	x.mu.RLock()
	defer x.mu.RUnlock()
	all := x.byRef[p.Ref]
	if p.URL != "" {
		all = x.byURL[p.URL]
	}
	var hits []*store.LinkRecord
	for _, rec := range all {
		if (p.Kind == "" || rec.Link.Kind == p.Kind) && (!ok || byKey(rec, &after) > 0) {
			hits = append(hits, rec)
		}
	}
	slices.SortFunc(hits, byKey)
	page := &store.LinkPage{}
	if limit := store.ClampLimit(p.Limit); len(hits) > limit {
		hits, page.Next = hits[:limit], linkcursor.Find(hits[limit-1])
	}
	page.Links = copies(hits)
	return page, nil
}

// current returns the current deployment among recs: the succeeded one
// that is newest; nil for none.
func current(recs []*store.LinkRecord) *store.LinkRecord {
	var best *store.LinkRecord
	for _, rec := range recs {
		if rec.Succeeded && (best == nil || newer(rec, best) < 0) {
			best = rec
		}
	}
	return best
}

// ListDeployments implements store.LinkStore.
func (s *Store) ListDeployments(ctx context.Context, p *store.ListDeploymentsParams) (*store.LinkPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list deployments: params: missing")
	}
	var after envService
	ok, err := linkcursor.Decode(p.Cursor, linkcursor.KindDeployments, &after.env, &after.service)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployments: %v", err)
	}
	x := &s.links
	x.mu.RLock()
	defer x.mu.RUnlock()
	var hits []*store.LinkRecord
	for k, recs := range x.deployments {
		if (p.Environment != "" && k.env != p.Environment) || (p.Service != "" && k.service != p.Service) ||
			(ok && cmp.Or(cmp.Compare(k.env, after.env), cmp.Compare(k.service, after.service)) <= 0) {
			continue
		}
		if rec := current(recs); rec != nil {
			hits = append(hits, rec)
		}
	}
	slices.SortFunc(hits, func(a, b *store.LinkRecord) int {
		return cmp.Or(cmp.Compare(a.Link.Environment, b.Link.Environment), cmp.Compare(a.Link.Service, b.Link.Service))
	})
	page := &store.LinkPage{}
	if limit := store.ClampLimit(p.Limit); len(hits) > limit {
		hits, page.Next = hits[:limit], linkcursor.Deployments(hits[limit-1])
	}
	page.Links = copies(hits)
	return page, nil
}

// ListDeploymentHistory implements store.LinkStore.
func (s *Store) ListDeploymentHistory(ctx context.Context, p *store.ListDeploymentHistoryParams) (*store.LinkPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil || p.Environment == "" || p.Service == "" {
		return nil, errf(store.ErrInvalid, "list deployment history: environment and service: required")
	}
	var after store.LinkRecord
	var afterS, afterNs int64
	ok, err := linkcursor.Decode(p.Cursor, linkcursor.KindHistory, &afterS, &afterNs, &after.Release, &after.Seq)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployment history: %v", err)
	}
	after.SucceededAt = unixTime(afterS, afterNs)
	x := &s.links
	x.mu.RLock()
	defer x.mu.RUnlock()
	var hits []*store.LinkRecord
	for _, rec := range x.deployments[envService{p.Environment, p.Service}] {
		if rec.Succeeded && (!ok || newer(rec, &after) > 0) {
			hits = append(hits, rec)
		}
	}
	slices.SortFunc(hits, newer)
	page := &store.LinkPage{}
	if limit := store.ClampLimit(p.Limit); len(hits) > limit {
		hits, page.Next = hits[:limit], linkcursor.History(hits[limit-1])
	}
	page.Links = copies(hits)
	return page, nil
}

// ListDeploymentConflicts implements store.LinkStore.
func (s *Store) ListDeploymentConflicts(ctx context.Context, p *store.ListDeploymentConflictsParams) (*store.ConflictPage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, errf(store.ErrInvalid, "list deployment conflicts: params: missing")
	}
	type key struct{ env, service, version string }
	var after key
	ok, err := linkcursor.Decode(p.Cursor, linkcursor.KindConflicts, &after.env, &after.service, &after.version)
	if err != nil {
		return nil, errf(store.ErrInvalid, "list deployment conflicts: %v", err)
	}
	x := &s.links
	x.mu.RLock()
	defer x.mu.RUnlock()
	claims := map[key][]*store.LinkRecord{}
	for k, recs := range x.deployments {
		if (p.Environment != "" && k.env != p.Environment) || (p.Service != "" && k.service != p.Service) {
			continue
		}
		for _, rec := range recs {
			kk := key{k.env, k.service, rec.Link.Version}
			if rec.Succeeded && (!ok || cmp.Or(cmp.Compare(kk.env, after.env), cmp.Compare(kk.service, after.service), cmp.Compare(kk.version, after.version)) > 0) {
				claims[kk] = append(claims[kk], rec)
			}
		}
	}
	var out []store.DeploymentConflict
	for k, recs := range claims {
		slices.SortFunc(recs, byKey)
		first := recs[:0:0]
		for _, rec := range recs {
			if len(first) == 0 || first[len(first)-1].Release != rec.Release {
				first = append(first, rec)
			}
		}
		if len(first) < 2 {
			continue
		}
		c := store.DeploymentConflict{Environment: k.env, Service: k.service, Version: k.version, Releases: len(first)}
		c.Claims = copies(first[:min(len(first), store.MaxConflictClaims)])
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b store.DeploymentConflict) int {
		return cmp.Or(cmp.Compare(a.Environment, b.Environment), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Version, b.Version))
	})
	page := &store.ConflictPage{}
	if limit := store.ClampLimit(p.Limit); len(out) > limit {
		out, page.Next = out[:limit], linkcursor.Conflicts(&out[limit-1])
	}
	page.Conflicts = out
	return page, nil
}

func unixTime(s, ns int64) time.Time { return time.Unix(s, ns).UTC() }
