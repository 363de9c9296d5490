// Package process models release blueprints: a Process is a reusable,
// versioned document of inputs, variables and phases of activities, with
// dependencies that form a graph. This package decodes, validates, encodes,
// compiles and draws processes. It is pure: no goroutines, no clock, no I/O.
//
// # The document
//
// Processes are written in YAML or JSON with one set of kebab-case keys:
//
//	id: mobile-app                      # [a-z0-9][a-z0-9_-]*, like every id
//	name: Mobile app release
//	inputs:                             # type: string (default), number, integer, boolean, list, object
//	  version: {type: string, required: true, pattern: '^\d+\.\d+\.\d+$'}
//	  environment: {enum: [staging, production], default: staging}
//	variables:                          # computed once per release, in order
//	  tag: 'v${{ inputs.version }}'
//	phases:
//	  - id: build
//	    owners: [dev-team]
//	    labels: {env: staging}          # inherited by the phase's activities
//	    depends-on: []                  # other phases
//	    if: inputs.environment != ""    # a bare boolean expression
//	    activities:
//	      - id: compile
//	        uses: ci.pipeline           # automated (the default type): the adapter kind
//	        with: {ref: '${{ vars.tag }}'}
//	        outputs: [artifact]
//	        timeout: 30m                # Go durations, or whole days: 2d
//	        expected-duration: 10m
//	        retry: {max-attempts: 3, backoff: 30s, max-backoff: 5m, multiplier: 2}
//	        on-failure: rollback        # hold (default) | fail | ignore | rollback
//	        rollback: {uses: ci.revert, with: {ref: '${{ vars.tag }}'}}
//	      - id: check
//	        type: manual                # tasks for people, and outputs they submit
//	        depends-on: [compile]       # a sibling, or phase.activity
//	        tasks: [{id: run, name: Run it, assignees: ['group:qa'], required: true}]
//	        outputs: [report-url]
//	      - id: signoff
//	        type: approval
//	        depends-on: [check]
//	        approval: {approvers: ['group:leads'], rule: min, min: 1, deadline: 24h, on-deadline: reject, forbid-initiator: true}
//	      - id: smoke
//	        type: subprocess
//	        labels: {env: production}   # over the phase's: env=production, the rest kept
//	        depends-on: [signoff]
//	        process: smoke-tests        # run as a child release; with: gives its inputs
//	        with: {target: '${{ inputs.environment }}'}
//
// Labels are string pairs on phases and activities: an activity's effective
// labels are its phase's with its own over them (Compiled.EffectiveLabels).
// Keys are lower-case letters, digits, '.', '-', '_' and '/', starting and
// ending with a letter or digit (CheckLabel); values are at most 256 bytes
// without control characters; keys starting with "baton." are reserved for
// the executor. The executor's freezes select activities by them (env:
// production waits while a production freeze holds).
//
// Expressions are ${{ ... }} inside strings and bare in if:. They may read
// inputs.NAME, vars.NAME, release.FIELD (id, name, version, group,
// scheduled-for) and phases.P.activities.A.outputs.O of an activity the
// reader depends on, directly or transitively. Names with hyphens are
// reached as written (inputs.canary-percent); a subtraction needs spaces
// around the minus sign. Reading anything else is a validation error, not a
// runtime surprise. So is an if: whose value is known not to be a boolean
// from the declared input types and literals (if: inputs.replicas + 1 with
// an integer input: "want a boolean, got integer"); a value of unknown type,
// such as an output, is checked when the condition runs. An output that is not there when the expression runs
// (its activity was skipped, or ignored without substitute outputs) is an
// error: the executor skips an activity or phase whose if cannot be
// evaluated, giving the error as the reason, and fails an attempt whose
// with: cannot. Expressions run sandboxed, with no access to the host,
// under time and memory budgets.
//
// # Validation
//
// Parse decodes and validates; Validate checks a Process built in code.
// Both report the problems at once in a *ValidationError, each Problem with
// its path (phases[2].activities[0].depends-on[1]) and, from a document,
// its line and column: the first MaxListedProblems (100) in document order,
// and a count of the rest. A dependency cycle is also a *CycleError naming
// the cycle. Parser bounds the size of a document (2 MiB by default), alias
// expansion, nesting and the number of distinct expressions, and the work
// done per problem, so hostile input gets a short error in well under two
// seconds, never a crash or a hang. A leading UTF-8 byte-order mark is
// ignored.
//
// # Compiling and running
//
// Compile validates and returns a Compiled process: the activity graph with
// phase dependencies expanded, its waves and critical path, and methods that
// evaluate conditions and with: parameters against a Scope. ResolveInputs
// computes a release's inputs from defaults, an InputSet and overrides.
// Mermaid draws a process as a Mermaid flowchart.
package process
