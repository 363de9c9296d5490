package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/batonhq/baton/adapters"
	"github.com/batonhq/baton/process"
)

func noop(kind string) adapters.Adapter {
	return adapters.Func(kind, func(context.Context, *adapters.Request) (*adapters.Result, error) {
		return &adapters.Result{}, nil
	})
}

func TestRegistryLooksUpByKindAndRefusesDuplicates(t *testing.T) {
	reg := adapters.NewRegistry(noop("ci.pipeline"))
	a, err := reg.Lookup("ci.pipeline")
	require.NoError(t, err)
	require.Equal(t, "ci.pipeline", a.Kind())

	_, err = reg.Lookup("cd.deploy")
	require.ErrorIs(t, err, adapters.ErrUnknownKind)
	require.ErrorIs(t, reg.Register(noop("ci.pipeline")), adapters.ErrDuplicateKind)
	require.Error(t, reg.Register(noop("")))
	require.Error(t, reg.Register(nil))
	require.NoError(t, reg.Register(noop("cd.deploy")))
	require.Equal(t, []string{"cd.deploy", "ci.pipeline"}, reg.Kinds())

	var zero adapters.Registry
	require.NoError(t, zero.Register(noop("x")), "the zero Registry is ready to use")
}

func TestOutcomeErrorsSurviveWrapping(t *testing.T) {
	base := errors.New("deployment rejected")
	err := fmt.Errorf("cd: %w", adapters.Permanent(base))
	require.True(t, adapters.IsPermanent(err))
	require.ErrorIs(t, err, base)
	require.Nil(t, adapters.Permanent(nil))
	require.False(t, adapters.IsPermanent(base))

	err = fmt.Errorf("http: %w", adapters.RetryAfter(90*time.Second, base))
	d, ok := adapters.RetryDelay(err)
	require.True(t, ok)
	require.Equal(t, 90*time.Second, d)
	require.ErrorIs(t, err, base)
	_, ok = adapters.RetryDelay(base)
	require.False(t, ok)
}

type strictPipeline struct{ adapters.Adapter }

func (strictPipeline) ValidateWith(with map[string]any) error {
	if _, ok := with["pipeline"]; !ok {
		return &adapters.ParamError{Param: "pipeline", Msg: "required: the pipeline to run"}
	}
	return nil
}

func TestValidateProcessNamesUnknownKindsAndBadParameters(t *testing.T) {
	p, err := process.Parse([]byte(`id: app
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.pipeline, with: {pipelin: x}}
      - {id: ship, uses: cd.deploy, rollback: {uses: cd.undo}}
`))
	require.NoError(t, err)
	reg := adapters.NewRegistry(strictPipeline{noop("ci.pipeline")}, noop("cd.deploy"))
	err = reg.ValidateProcess(p)
	var verr *process.ValidationError
	require.ErrorAs(t, err, &verr)
	require.Len(t, verr.Problems, 2)
	require.Equal(t, "phases[0].activities[0].with.pipeline", verr.Problems[0].Path)
	require.Equal(t, "phases[0].activities[1].rollback.uses", verr.Problems[1].Path)
	require.Contains(t, verr.Problems[1].Msg, `no adapter registered for kind "cd.undo"`)

	require.NoError(t, reg.Register(noop("cd.undo")))
	p.Phases[0].Activities[0].With = map[string]any{"pipeline": "mobile"}
	require.NoError(t, reg.ValidateProcess(p))
}
