// Command releasetrain shows Baton's scheduling end to end: two release
// groups (a weekly mobile train and a monthly web release) make their
// releases on their cadences, a recurring weekend freeze shifts the
// weekly train and a one-off audit freeze skips a monthly release, and
// the executor's calendar shows what was planned, what ran and what the
// freezes did. Six weeks are simulated on a fast manual clock in a few
// seconds; each week's calendar is printed as text, and the whole period
// (with the next four weeks' plan) is written as calendar.ics, an
// iCalendar feed any calendar client can open.
//
//	go run ./examples/releasetrain                  # writes ./calendar.ics
//	go run ./examples/releasetrain -out /tmp/train  # writes /tmp/train/calendar.ics
package main
