package feedsignal

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSignalsCoalesceAndCloseWithTheContext(t *testing.T) {
	var s Signals
	ctx, cancel := context.WithCancel(context.Background())
	a, err := s.Subscribe(ctx)
	require.NoError(t, err)
	b, err := s.Subscribe(context.Background())
	require.NoError(t, err)
	require.Equal(t, 2, s.Len())
	s.Signal()
	s.Signal() // coalesced with the first: never blocks
	for _, ch := range []<-chan struct{}{a, b} {
		_, ok := <-ch
		require.True(t, ok)
		select {
		case <-ch:
			t.Fatal("two signals pending")
		default:
		}
	}
	cancel()
	_, ok := <-a // closed by the context's end
	require.False(t, ok)
	require.Equal(t, 1, s.Len())
	s.Close()
	_, ok = <-b
	require.False(t, ok)
	c, err := s.Subscribe(context.Background())
	require.NoError(t, err)
	_, ok = <-c
	require.False(t, ok, "a subscriber after Close gets a closed channel")
	_, err = s.Subscribe(ctx)
	require.ErrorIs(t, err, context.Canceled)
}
