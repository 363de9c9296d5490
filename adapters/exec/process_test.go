package exec_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
)

func TestValidateProcessChecksExecParametersAsDecodedFromYAML(t *testing.T) {
	p, err := process.Parse([]byte(`id: app
inputs:
  version: {type: string}
phases:
  - id: build
    activities:
      - id: compile
        uses: exec
        with:
          command: [make, release, 'VERSION=${{ inputs.version }}', 5, true]
          env: {GOFLAGS: -mod=mod, JOBS: 4}
          timeout: 5m
          output-limit: 64KiB
          retryable-exit-codes: [75, 69]
      - id: package
        uses: exec
        with: {command: 'make package'}
      - id: sign
        uses: exec
        with: {command: [cosign], timeot: 1m}
`))
	require.NoError(t, err)
	reg := adapters.NewRegistry(newAdapter(t, nil))
	var verr *process.ValidationError
	require.ErrorAs(t, reg.ValidateProcess(p), &verr)
	require.Len(t, verr.Problems, 2)
	require.Equal(t, "phases[0].activities[1].with.command", verr.Problems[0].Path)
	require.Contains(t, verr.Problems[0].Msg, "not a string")
	require.Equal(t, "phases[0].activities[2].with.timeot", verr.Problems[1].Path)
}
