package dialog

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// abbreviation says whether a period after a word may end a sentence.
type abbreviation int

const (
	abbrNone    abbreviation = iota // an ordinary word: the period ends
	abbrNever                       // "Dr.": never ends a sentence
	abbrCapital                     // "etc.": ends it if a capital follows
)

// abbreviations maps lowercase abbreviations, without their final period,
// to how a period after them behaves.
var abbreviations = map[string]abbreviation{
	"mr": abbrNever, "mrs": abbrNever, "ms": abbrNever, "dr": abbrNever,
	"prof": abbrNever, "sr": abbrNever, "jr": abbrNever, "st": abbrNever,
	"mt": abbrNever, "e.g": abbrNever, "i.e": abbrNever, "approx": abbrNever,
	"no": abbrNever, "nr": abbrNever, "vs": abbrNever, "cf": abbrNever,
	"fig": abbrNever, "ca": abbrNever, "tel": abbrNever, "dept": abbrNever,
	"etc": abbrCapital, "inc": abbrCapital, "ltd": abbrCapital,
	"co": abbrCapital, "corp": abbrCapital, "a.m": abbrCapital,
	"p.m": abbrCapital, "u.s": abbrCapital, "u.k": abbrCapital,
}

// abbreviationKind classifies the word that ends sentence (the text of
// the sentence so far, up to but excluding a period).
func abbreviationKind(sentence string) abbreviation {
	k := strings.LastIndexFunc(sentence, unicode.IsSpace)
	word := strings.TrimLeftFunc(sentence[k+1:], isOpener)
	if word == "" {
		return abbrNone
	}

	if kind, ok := abbreviations[strings.ToLower(word)]; ok {
		return kind
	}
	// A single capital is an initial: "J. Smith".
	if r, size := utf8.DecodeRuneInString(word); size == len(word) && unicode.IsUpper(r) {
		return abbrNever
	}
	// A number that is all of the sentence so far numbers a list item.
	if strings.TrimSpace(sentence) == word && isDigits(word) {
		return abbrNever
	}
	return abbrNone
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
