package http_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
)

func TestValidateProcessChecksHTTPParametersAsDecodedFromYAML(t *testing.T) {
	p, err := process.Parse([]byte(`id: app
inputs:
  version: {type: string}
phases:
  - id: build
    activities:
      - id: trigger
        uses: http
        with:
          url: https://ci.example.com/api/builds
          headers: {X-Team: mobile, X-Priority: 2}
          secret-headers: {Authorization: ci-token}
          body: {ref: 'v${{ inputs.version }}', flags: [a, b], depth: {n: 1}}
          success-codes: [200, 202]
          poll: {field: status.state, done-values: [succeeded, 1], failed-values: [failed], interval: 30s}
          outputs: {artifact: 'artifacts[0].url'}
      - id: notify
        uses: http
        with: {url: https://chat.example.com/hook, poll: {field: state}}
`))
	require.NoError(t, err)
	reg := adapters.NewRegistry(newAdapter(t, nil))
	var verr *process.ValidationError
	require.ErrorAs(t, reg.ValidateProcess(p), &verr)
	require.Len(t, verr.Problems, 1)
	require.Equal(t, "phases[0].activities[1].with.poll.done-values", verr.Problems[0].Path)
}
