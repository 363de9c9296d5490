package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Desk stands in for an external change-management service (a ServiceNow,
// a Jira Service Management): the adapter opens change tickets on it and
// polls their state. A real adapter would call its HTTP API instead.
//
// Its rules: a low-risk change is approved at once; a medium-risk one
// after three status checks (an automatic review); a high-risk one waits
// for the change board (Decide), one at a time (ErrBusy while another is
// open); a high-risk change on a Friday is refused.
type Desk struct {
	mu      sync.Mutex
	tickets map[string]*ticket
	byKey   map[string]string // idempotency key -> ticket id
	opened  chan string       // receives each new ticket id, if not nil
}

// ErrBusy is returned when a high-risk change is opened while another one
// waits for the change board.
var ErrBusy = errors.New("desk: another high-risk change is open")

type ticket struct {
	id, summary, risk string
	state             string // open, approved, rejected
	checks            int
	reason            string
}

// NewDesk returns an empty desk.
func NewDesk() *Desk {
	return &Desk{tickets: map[string]*ticket{}, byKey: map[string]string{}}
}

// Open opens a ticket, once per idempotency key.
func (d *Desk) Open(_ context.Context, key, summary, risk string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.byKey[key]; ok {
		return id, nil
	}
	friday := strings.Contains(strings.ToLower(summary), "friday")
	if risk == "high" && !friday {
		for _, t := range d.tickets {
			if t.risk == "high" && t.state == "open" {
				return "", fmt.Errorf("%w (%s)", ErrBusy, t.id)
			}
		}
	}
	id := fmt.Sprintf("CHG-%04d", len(d.tickets)+1)
	t := &ticket{id: id, summary: summary, risk: risk, state: "open"}
	switch {
	case risk == "low":
		t.state = "approved"
	case risk == "high" && friday:
		t.state, t.reason = "rejected", "no high-risk changes on Fridays"
	}
	d.tickets[id], d.byKey[key] = t, id
	if d.opened != nil {
		select {
		case d.opened <- id:
		default:
		}
	}
	return id, nil
}

// Status returns a ticket's state and, when rejected, why.
func (d *Desk) Status(_ context.Context, id string) (state, reason string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.tickets[id]
	if t == nil {
		return "", "", fmt.Errorf("desk: no ticket %s", id)
	}
	t.checks++
	if t.state == "open" && t.risk == "medium" && t.checks >= 3 {
		t.state = "approved"
	}
	return t.state, t.reason, nil
}

// Decide records the change board's decision on an open ticket.
func (d *Desk) Decide(id string, approve bool, reason string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t := d.tickets[id]; t != nil && t.state == "open" {
		t.state, t.reason = "rejected", reason
		if approve {
			t.state = "approved"
		}
	}
}
