package process_test

import (
	"fmt"

	"github.com/batonhq/baton/process"
)

// An if: whose value cannot be a boolean, given the declared input types,
// is refused when the document is parsed rather than skipping its activity
// at run time.
func ExampleParse_nonBooleanIf() {
	_, err := process.Parse([]byte(`id: web
inputs:
  replicas: {type: integer, default: 2}
phases:
  - id: ship
    activities:
      - id: deploy
        uses: cd.deploy
        if: inputs.replicas + 1
`))
	fmt.Println(err)
	// Output: process: phases.ship.activities.deploy.if (line 9, column 13): condition must be boolean: want a boolean, got integer (offset 0 in "inputs.replicas + 1")
}
