package schedule

import "time"

type RRule struct{}

func parseRRule(s string) (*RRule, error)       { return nil, perr("RRULE", s, "not yet") }
func (r *RRule) Next(after time.Time) time.Time { return time.Time{} }
