package release

import (
	"fmt"
	"time"
)

// LinkKind says what a traceability link points at.
type LinkKind string

// The link kinds.
const (
	LinkCommit      LinkKind = "commit"
	LinkPullRequest LinkKind = "pull-request"
	LinkBuild       LinkKind = "build"
	LinkArtifact    LinkKind = "artifact"
	LinkTicket      LinkKind = "ticket"
	LinkDeployment  LinkKind = "deployment"
)

// Valid reports whether k is one of the link kinds.
func (k LinkKind) Valid() bool {
	switch k {
	case LinkCommit, LinkPullRequest, LinkBuild, LinkArtifact, LinkTicket, LinkDeployment:
		return true
	}
	return false
}

// Link is a traceability record attached to a release or to one of its
// activities (by a link.added event): the commit, pull request, build,
// artifact, ticket or deployment a release produced or relates to.
type Link struct {
	Kind  LinkKind `json:"kind"`
	URL   string   `json:"url,omitempty"`
	Ref   string   `json:"ref,omitempty"`   // the id in its system: a SHA, "PR-42", "JIRA-7", a digest
	Title string   `json:"title,omitempty"` // a human label
	// Service, Environment and Version describe a deployment.
	Service     string `json:"service,omitempty"`
	Environment string `json:"environment,omitempty"`
	Version     string `json:"version,omitempty"`

	// Activity, Task, Actor and At are filled in by Apply from the event
	// that added the link (Activity is empty for a link on the release,
	// Task for a link on the release or the activity itself). A link on a
	// task is kept with its activity's links.
	Activity ActivityKey `json:"activity,omitempty"`
	Task     string      `json:"task,omitempty"`
	Actor    string      `json:"actor,omitempty"`
	At       time.Time   `json:"at"`
}

// Validate checks the link's kind and that it points somewhere: a URL or a
// Ref, and for a deployment a Service and an Environment. The error names
// the field at fault.
func (l *Link) Validate() error {
	if !l.Kind.Valid() {
		return fmt.Errorf("release: link: kind %q: want commit, pull-request, build, artifact, ticket or deployment", l.Kind)
	}
	if l.URL == "" && l.Ref == "" {
		return fmt.Errorf("release: link (%s): url or ref: one is required", l.Kind)
	}
	if l.Kind == LinkDeployment {
		if l.Service == "" {
			return fmt.Errorf("release: link (deployment): service: required")
		}
		if l.Environment == "" {
			return fmt.Errorf("release: link (deployment): environment: required")
		}
	}
	return nil
}
