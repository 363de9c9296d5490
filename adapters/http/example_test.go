package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"net/http/httptest"

	"github.com/batonhq/baton/adapters"
	batonhttp "github.com/batonhq/baton/adapters/http"
)

func Example() {
	// A CI server: POST /builds answers 202 with a Location, the status
	// URL reports the build.
	mux := nethttp.NewServeMux()
	mux.HandleFunc("POST /builds", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Location", "/builds/7")
		w.WriteHeader(nethttp.StatusAccepted)
	})
	mux.HandleFunc("GET /builds/7", func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"state": "succeeded", "artifact": map[string]any{"url": "https://cdn.example.com/app-1.2.3.apk"}})
	})
	ci := httptest.NewServer(mux)
	defer ci.Close()

	a, err := batonhttp.New(nil)
	if err != nil {
		panic(err)
	}
	res, err := a.Run(context.Background(), &adapters.Request{
		IdempotencyKey: "rel-1/build.compile/1",
		With: map[string]any{
			"url":     ci.URL + "/builds",
			"body":    map[string]any{"ref": "v1.2.3"},
			"poll":    map[string]any{"field": "state", "done-values": []any{"succeeded"}, "failed-values": []any{"failed"}, "interval": "10ms"},
			"outputs": map[string]any{"artifact": "artifact.url"},
		},
		Reporter: adapters.NopReporter{},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Outputs["artifact"])
	// Output:
	// https://cdn.example.com/app-1.2.3.apk
}
