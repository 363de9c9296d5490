// Package exec is an adapter that runs a local command for an automated
// activity.
//
// The command is an argv list handed straight to the operating system (no
// shell ever parses it), so a templated input such as "; rm -rf /" or
// "$(id)" reaches the program as one literal argument. To use a shell, say
// so: command: [sh, -c, 'make "$1"', sh, '${{ inputs.target }}'] passes the
// input as a positional parameter, still unparsed.
//
// # Parameters
//
//	activities:
//	  - id: build
//	    uses: exec
//	    with:
//	      command: [make, release, 'VERSION=${{ inputs.version }}']  # required: program and arguments
//	      dir: app                    # working directory, relative to Config.Dir and inside it
//	      env: {GOFLAGS: -mod=mod}    # variables added to the environment
//	      timeout: 5m                 # defaults to Config.Timeout, capped by Config.MaxTimeout
//	      outputs-file: out.json      # a JSON object of outputs the command writes (relative to dir)
//	      output-limit: 64KiB         # bytes of output logged; may only lower Config.OutputLimit
//	      retryable-exit-codes: [75]  # replaces Config.RetryableExitCodes for this activity
//
// Unknown keys are validation errors (the adapter implements
// adapters.Validator).
//
// # The command's side of the protocol
//
// Environment: only the variables in Config.InheritEnv are inherited from
// the host, plus with.env, plus BATON_RELEASE, BATON_ACTIVITY, BATON_ATTEMPT
// and BATON_IDEMPOTENCY_KEY (stable across re-runs of one attempt: pass it
// on to external systems so work is done once).
//
// Outputs: a stdout line of exactly the form
//
//	::output NAME=VALUE
//
// sets output NAME (a letter or underscore, then letters, digits, _ or -)
// to the string VALUE, the rest of the line after the first "=" (a trailing
// \r is dropped); the last line for a name wins. For structured values
// write a JSON object to with.outputs-file; its values win over ::output
// lines. Both are bounded by the output limit.
//
// Every line of stdout and stderr (prefixed "stderr: ") goes to the
// Reporter's Log, up to the output limit; the cut falls on a line boundary
// and is marked by a line "exec: [output cut: ...]", and a last line says
// how many bytes were discarded. Output past the limit is still read, so the
// command never blocks on a full pipe, and ::output lines past the limit
// still count. Lines longer than 64 KiB are split.
//
// # Outcomes
//
//   - exit 0: success, with the outputs.
//   - a non-zero exit code in the retryable list (default 75, EX_TEMPFAIL):
//     an *ExitError the activity's retry policy retries. If the command
//     printed "::retry-after DURATION" (a Go duration such as 90s), the error
//     is an adapters.RetryAfter with that delay.
//   - any other non-zero exit code: adapters.Permanent(*ExitError). Every
//     ExitError quotes the last 4 KiB of stderr.
//   - the program cannot start (not found, not executable), bad
//     parameters, a directory or outputs file outside Config.Dir, an
//     unreadable outputs file: permanent.
//   - killed by a signal not sent by the adapter: retryable.
//   - timeout: an error wrapping ErrTimeout, retryable; cancellation: an
//     error wrapping the context's error.
//
// The permanent default follows the sysexits convention: a command that
// knows its failure is transient says so with 75 or ::retry-after; a
// failing test suite or a broken build is not retried blindly.
//
// # Processes
//
// On Unix the command leads a new process group, and every process it
// starts (children, grandchildren, double-forked or nohup daemons) stays in
// that group unless it leaves it. On timeout or cancellation the whole
// group gets SIGTERM, then SIGKILL after Config.KillGrace. When the command
// exits by itself, successfully or not, whatever is left of its group gets
// SIGKILL at once. So no process that stays in the group outlives its
// activity.
//
// A descendant that leaves the group, by calling setsid or setpgid (the
// setsid program, some daemons and supervisors do), escapes: the adapter
// does not track it, and it keeps running after the activity ends. If it
// still holds the command's stdout or stderr, Run stops reading them 2
// seconds after the command exits. A host that needs every descendant gone
// runs the commands inside a cgroup or container it removes when the
// activity ends (for instance a systemd scope or service per command, which
// systemd stops with every process in it); the adapter does not do this
// itself.
//
// Elsewhere (Windows) only the command itself is killed; its children are
// not reached.
//
//	a, err := exec.New(&exec.Config{Dir: "/srv/releases", Timeout: 15 * time.Minute})
//	if err != nil {
//		return err
//	}
//	reg := adapters.NewRegistry(a)
package exec
