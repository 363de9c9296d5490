package release

import "encoding/json"

// Activity returns the activity an event concerns (activity.started,
// task.updated, approval.granted, a comment or link on an activity...),
// read from its payload, and false for events about the whole release or
// a phase. It needs no type switch over payloads and works on kinds this
// package does not know, as long as their payload names an "activity".
func (e Event) Activity() (ActivityKey, bool) {
	var v struct {
		Activity ActivityKey `json:"activity"`
	}
	if len(e.Payload) == 0 || json.Unmarshal(e.Payload, &v) != nil || v.Activity == "" {
		return "", false
	}
	return v.Activity, true
}
