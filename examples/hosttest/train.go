package hosttest

import (
	_ "embed"

	"github.com/batonhq/baton/process"
)

//go:embed train.yaml
var trainYAML []byte

// Train returns the team's release process.
func Train() (*process.Process, error) { return process.Parse(trainYAML) }

// Groups are the people behind the groups the process names; in the
// service they come from the directory.
var Groups = map[string][]string{
	"sre": {"sam", "sasha"},
	"cab": {"carla", "cyrus", "cole"},
}
