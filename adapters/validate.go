package adapters

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/batonhq/baton/process"
)

// ValidateProcess checks a process against the registry: every automated
// activity and every rollback names a registered kind, and adapters that
// implement Validator accept their with: parameters. It reports every
// problem at once as a *process.ValidationError whose paths point into the
// document (Path phases[1].activities[0].with.pipeline, IDPath
// phases.build.activities.compile.with.pipeline, which the error text
// shows).
func (r *Registry) ValidateProcess(p *process.Process) error {
	var problems []process.Problem
	check := func(path, idPath, kind string, with map[string]any) {
		a, err := r.Lookup(kind)
		if err != nil {
			problems = append(problems, process.Problem{Path: path + ".uses", IDPath: idPath + ".uses",
				Msg: fmt.Sprintf("no adapter registered for kind %q (registered: %v)", kind, r.Kinds())})
			return
		}
		v, ok := a.(Validator)
		if !ok {
			return
		}
		if err := v.ValidateWith(with); err != nil {
			var pe *ParamError
			if errors.As(err, &pe) {
				problems = append(problems, process.Problem{Path: path + ".with." + pe.Param, IDPath: idPath + ".with." + pe.Param, Msg: pe.Msg, Err: err})
			} else {
				problems = append(problems, process.Problem{Path: path + ".with", IDPath: idPath + ".with", Msg: err.Error(), Err: err})
			}
		}
	}
	for i := range p.Phases {
		for j := range p.Phases[i].Activities {
			a := &p.Phases[i].Activities[j]
			path := "phases[" + strconv.Itoa(i) + "].activities[" + strconv.Itoa(j) + "]"
			idPath := "phases." + string(p.Phases[i].ID) + ".activities." + string(a.ID)
			if a.EffectiveType() == process.Automated && a.Uses != "" {
				check(path, idPath, a.Uses, a.With)
			}
			if a.Rollback != nil && a.Rollback.Uses != "" {
				check(path+".rollback", idPath+".rollback", a.Rollback.Uses, a.Rollback.With)
			}
		}
	}
	if len(problems) > 0 {
		return &process.ValidationError{Problems: problems}
	}
	return nil
}
