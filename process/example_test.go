package process_test

import (
	"errors"
	"fmt"

	"github.com/batonhq/baton/process"
)

func ExampleParse() {
	p, err := process.Parse([]byte(`
id: web
inputs:
  version: {type: string, required: true}
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        with: {ref: 'v${{ inputs.version }}'}
  - id: ship
    depends-on: [build]
    activities:
      - {id: deploy, uses: cd.deploy}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ID, len(p.Phases), p.Phases[0].Activities[0].Uses)
	// Output: web 2 ci.pipeline
}

func ExampleParse_problems() {
	_, err := process.Parse([]byte(`id: web
phases:
  - id: build
    activities:
      - id: compile
        uses: ci.pipeline
        depends-on: [test]
        timout: 5m
`))
	var verr *process.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// phases.build.activities.compile.depends-on[0] (line 7, column 22): unknown activity "test": want a sibling activity id or phase.activity
	// phases.build.activities.compile.timout (line 8, column 9): unknown key "timout"; did you mean "timeout"?
}

func ExampleProcess_Validate() {
	p := &process.Process{
		ID: "web",
		Phases: []process.Phase{{
			ID: "build",
			Activities: []process.Activity{
				{ID: "compile", Uses: "ci.pipeline", DependsOn: []string{"lint"}},
				{ID: "signoff", Type: process.Approval},
			},
		}},
	}
	fmt.Println(p.Validate())
	// Output:
	// process: 2 problems:
	//   phases.build.activities.compile.depends-on[0]: unknown activity "lint": want a sibling activity id or phase.activity
	//   phases.build.activities.signoff.approval: required: an approval activity needs an approval policy (approvers, min, deadline)
}

func ExampleMermaid() {
	p, _ := process.Parse([]byte(`id: web
phases:
  - id: build
    activities:
      - {id: compile, uses: ci.pipeline}
      - {id: signoff, type: approval, depends-on: [compile], approval: {approvers: [ann]}}
`))
	fmt.Print(process.Mermaid(p))
	// Output:
	// flowchart LR
	//   subgraph p0["build"]
	//     p0a0["compile<br/><i>ci.pipeline</i>"]:::automated
	//     p0a1{"signoff"}:::approval
	//   end
	//   p0a0 --> p0a1
	//   classDef automated fill:#e8f0fe,stroke:#4a6fa5
	//   classDef manual fill:#fff4e0,stroke:#b7791f
	//   classDef approval fill:#fde8e8,stroke:#c53030
	//   classDef subprocess fill:#e6fffa,stroke:#2c7a7b
}

func ExampleCompiled_Waves() {
	p, _ := process.Parse([]byte(`id: web
phases:
  - id: build
    activities:
      - {id: api, uses: ci.build}
      - {id: web, uses: ci.build}
  - id: ship
    depends-on: [build]
    activities:
      - {id: deploy, uses: cd.deploy}
`))
	c, _ := process.Compile(p)
	for i, wave := range c.Waves() {
		fmt.Println(i+1, wave)
	}
	// Output:
	// 1 [build.api build.web]
	// 2 [ship.deploy]
}
