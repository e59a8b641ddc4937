package rag

import (
	"reflect"
	"testing"
)

func TestQueryTerms(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{"How much do you charge per kilowatt hour?", []string{"price", "per", "kwh", "hour"}},
		{"What are the OPENING hours on Saturdays", []string{"open", "hour", "saturday"}},
		{"cost, costs, price", []string{"price"}},
		{"I'm relocating to Köln", []string{"move", "köln"}},
		{"0.32 EUR/kWh", []string{"0", "32", "eur", "kwh"}},
		{"what is it", nil},
	}
	for _, tt := range tests {
		if got := queryTerms(tt.query); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("queryTerms(%q) = %q, want %q", tt.query, got, tt.want)
		}
	}
}

func TestTermCacheMatchesTerm(t *testing.T) {
	c := make(termCache)
	for _, w := range []string{"charges", "the", "meters", "meters", "cancellation"} {
		if got, want := c.term(w), term(w); got != want {
			t.Errorf("cached term(%q) = %q, want %q", w, got, want)
		}
	}
}
