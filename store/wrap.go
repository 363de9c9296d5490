package store

import (
	"fmt"
	"reflect"
)

// Unwrapper is implemented by a store that wraps another one (a decorator
// that logs, counts, injects faults or seals): Unwrap returns the store it
// wraps. Optional capabilities (Leaser, AnchorStore) are found by type
// assertion, and a wrapper that embeds Store hides the ones of the store it
// embeds; Find looks through Unwrap for them, so a wrapper that only adds
// behaviour to a few methods keeps the rest.
//
// Unwrap may return nil to declare that the wrapper hides the
// capabilities of what it wraps on purpose (one executor over a shared
// store, say). A wrapper that embeds a store with a capability, neither
// implements that capability nor Unwrapper is refused by Find (see
// HiddenCapabilityError): silently losing leases would let two executors
// drive one release.
type Unwrapper interface {
	Unwrap() Store
}

// HiddenCapabilityError reports a store wrapper that hides an optional
// capability of the store it holds without saying so: it holds (in Field)
// a store that implements Capability, does not implement it itself, and
// has no Unwrap method.
type HiddenCapabilityError struct {
	Wrapper    string // the wrapper's type, "*main.loggingStore"
	Field      string // the field holding the wrapped store
	Capability string // "store.Leaser"
}

func (e *HiddenCapabilityError) Error() string {
	return fmt.Sprintf("store: %s holds in field %s a store that implements %s, but implements neither %s nor Unwrap() store.Store: "+
		"forward its methods, add Unwrap (returning the wrapped store, or nil to hide it on purpose)",
		e.Wrapper, e.Field, e.Capability, e.Capability)
}

// Is reports whether target is ErrInvalid.
func (e *HiddenCapabilityError) Is(target error) bool { return target == ErrInvalid }

// Find returns the optional capability T of s: s itself when it implements
// T, else the first store down its Unwrap chain that does. It returns
// ok false when no store in the chain implements T (or a wrapper's Unwrap
// returns nil), and a *HiddenCapabilityError when a wrapper without Unwrap
// holds, in a field, a store that implements T (the mistake of embedding
// Store in a decorator).
func Find[T any](s Store) (capability T, ok bool, err error) {
	for seen := 0; s != nil && seen < 64; seen++ {
		if c, ok := s.(T); ok {
			return c, true, nil
		}
		u, ok := s.(Unwrapper)
		if !ok {
			if field := holding[T](s); field != "" {
				var zero T
				return zero, false, &HiddenCapabilityError{
					Wrapper: fmt.Sprintf("%T", s), Field: field,
					Capability: reflect.TypeFor[T]().String(),
				}
			}
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false, nil
}

// holding returns the name of a field of s (a struct or a pointer to one)
// that holds a non-nil value implementing T, or "".
func holding[T any](s Store) string {
	v := reflect.ValueOf(s)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	want := reflect.TypeFor[T]()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Interface && f.Kind() != reflect.Pointer {
			continue
		}
		if f.IsNil() {
			continue
		}
		if f.Kind() == reflect.Interface {
			f = f.Elem()
		}
		if f.Type().Implements(want) {
			return v.Type().Field(i).Name
		}
	}
	return ""
}
